"""HTTPS and where a POST comes from, through the test client: browsers send no Referer
(no-referrer), so a state-changing request is checked by its CSRF token and by `Origin` /
`Sec-Fetch-Site`; over HTTPS (direct, or behind a proxy with PROXY_FIX) every cookie is
Secure and HSTS is sent; over plain HTTP neither, so development keeps working."""

import json
import re
import time

import pytest
import sqlalchemy as sa
from registration_helpers import form
from world import make_event

from app.extensions import db
from app.models import Registration

EXPIRED = "This form has expired or was sent from another page."
EXPIRED_KM = "ទម្រង់នេះ"  # the start of the same message in Khmer


def token_of(response):
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.text).group(1)


def register(client, headers=None, base_url="http://localhost", lang="en"):
    """Open the session page, then register with its token, as a browser would."""
    page = client.get(f"/s/planning?lang={lang}", base_url=base_url)
    data = form(csrf_token=token_of(page))
    return client.post("/s/planning/register", data=data, headers=headers or {}, base_url=base_url)


def registrations():
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Registration))


@pytest.fixture
def csrf_app(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        make_event()
        yield app


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "http://localhost.evil.example"},
        {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://localhost"},  # ours is http://localhost here
    ],
    ids=["other-origin", "lookalike", "null-cross-site", "same-site", "other-scheme"],
)
def test_a_post_from_another_site_is_refused_even_with_a_token(csrf_app, headers):
    response = register(csrf_app.test_client(), headers)
    assert response.status_code == 400
    assert EXPIRED in response.text
    assert registrations() == 0


def test_the_refusal_is_in_the_visitors_language(csrf_app):
    response = register(csrf_app.test_client(), {"Origin": "https://evil.example"}, lang="km")
    assert response.status_code == 400
    assert EXPIRED_KM in response.text and EXPIRED not in response.text


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://localhost"},
        {"Origin": "null", "Sec-Fetch-Site": "same-origin"},  # a form under no-referrer
        {"Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "none"},
        {},  # no browser: the token alone
    ],
    ids=["same-origin", "null-same-origin", "fetch-same-origin", "fetch-none", "neither"],
)
def test_a_post_from_this_site_is_accepted(csrf_app, headers):
    response = register(csrf_app.test_client(), headers)
    assert response.status_code == 302, response.text
    assert response.location.endswith("/s/planning/registered")
    assert registrations() == 1


def test_without_a_token_even_a_same_origin_post_is_refused(csrf_app):
    response = csrf_app.test_client().post(
        "/s/planning/register", data=form(), headers={"Origin": "http://localhost"}
    )
    assert response.status_code == 400 and EXPIRED in response.text
    assert registrations() == 0


def test_over_https_a_form_without_referer_works(csrf_app):
    """Browsers send no Referer (no-referrer); Flask-WTF's default refused the form."""
    response = register(
        csrf_app.test_client(),
        {"Origin": "null", "Sec-Fetch-Site": "same-origin"},
        base_url="https://sala.example.org",
    )
    assert response.status_code == 302, response.text
    assert registrations() == 1


def test_behind_a_proxy_the_origin_is_the_public_one(make_app):
    app = make_app(WTF_CSRF_ENABLED=True, PROXY_FIX=1)
    proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "sala.example.org"}
    with app.app_context():
        make_event()
        client = app.test_client()
        refused = register(client, {**proxy, "Origin": "http://127.0.0.1:8000"})
        assert refused.status_code == 400 and EXPIRED in refused.text
        accepted = register(client, {**proxy, "Origin": "https://sala.example.org"})
        assert accepted.status_code == 302, accepted.text
        assert registrations() == 1


def test_the_signed_zoom_webhook_still_works_from_another_origin(make_app):
    from plugins.zoom.webhook import signature_for

    app = make_app(WTF_CSRF_ENABLED=True, ZOOM_WEBHOOK_SECRET="s" * 32)
    body = json.dumps({"event": "endpoint.url_validation", "payload": {"plainToken": "abc"}})
    stamp = str(int(time.time()))
    with app.app_context():
        response = app.test_client().post(
            "/zoom/webhook",
            data=body,
            content_type="application/json",
            base_url="https://sala.example.org",
            headers={
                "x-zm-request-timestamp": stamp,
                "x-zm-signature": signature_for("s" * 32, stamp, body),
                "Origin": "https://zoom.us",
                "Sec-Fetch-Site": "cross-site",
            },
        )
    assert response.status_code == 200
    assert response.json["plainToken"] == "abc"


# ---------------------------------------------------------------- cookies and HSTS


def cookie_and_hsts(client, **request):
    response = client.get("/?lang=km", **request)
    return response.headers.get("Set-Cookie", ""), response.headers.get("Strict-Transport-Security")


def test_over_https_the_cookie_is_secure_and_hsts_is_sent(app):
    cookie, hsts = cookie_and_hsts(app.test_client(), base_url="https://sala.example.org")
    assert cookie.startswith("session=") and "; Secure" in cookie
    assert hsts == "max-age=63072000"


def test_behind_a_proxy_over_https_the_cookie_is_secure_and_hsts_is_sent(make_app):
    app = make_app(PROXY_FIX=1)
    cookie, hsts = cookie_and_hsts(app.test_client(), headers={"X-Forwarded-Proto": "https"})
    assert cookie.startswith("session=") and "; Secure" in cookie
    assert hsts == "max-age=63072000"


def test_over_plain_http_no_secure_cookie_and_no_hsts(app):
    cookie, hsts = cookie_and_hsts(app.test_client(), base_url="http://127.0.0.1:5000")
    assert cookie.startswith("session=") and "Secure" not in cookie
    assert hsts is None


def test_a_forwarded_proto_header_without_a_proxy_changes_nothing(app):
    """Without PROXY_FIX nobody vouches for X-Forwarded-Proto: a visitor could send it."""
    cookie, hsts = cookie_and_hsts(app.test_client(), headers={"X-Forwarded-Proto": "https"})
    assert "Secure" not in cookie and hsts is None


def test_the_sign_in_cookie_is_secure_over_https(app, admin_user):
    client = app.test_client()
    response = client.post(
        "/login",
        data={"email": admin_user.email, "password": "correct horse battery staple"},
        base_url="https://sala.example.org",
    )
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies and all("; Secure" in c for c in cookies), cookies

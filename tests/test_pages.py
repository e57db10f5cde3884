"""What every page shares: security headers on every route, scripts only where used, error
pages in the visitor's language, and a health check that tells when the database is gone."""

import re

import pytest
from support import PASSWORD, create_user

from app import create_app

# Runs in tests/test_core_alone.py too: these need no bundled plugin.
pytestmark = pytest.mark.core_alone

ERROR_TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Page not found",
    413: "Too large",
    429: "Too many requests",
    500: "Something went wrong",
}


# ---------------------------------------------------------------- headers and scripts


def assert_security_headers(response, where):
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp, where
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, where
    assert "'unsafe-inline'" not in csp and "http" not in csp, where
    assert headers.get("Referrer-Policy") == "no-referrer", where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("X-Frame-Options") == "DENY", where


def test_every_route_without_arguments_carries_the_security_headers(app, client):
    checked = []
    for rule in app.url_map.iter_rules():
        if rule.arguments:
            continue
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"OPTIONS"})[0]
        response = client.open(rule.rule, method=method)
        assert_security_headers(response, f"{method} {rule.rule} ({response.status_code})")
        checked.append(rule.endpoint)
    assert {"public.index", "auth.login", "auth.logout", "sessions.index", "public.healthz"} <= set(
        checked
    )
    # ... and static files and error pages too.
    assert_security_headers(client.get("/static/css/sala.css"), "static")
    assert_security_headers(client.get("/static/vendor/htmx/htmx.min.js"), "vendor")
    assert_security_headers(client.get("/nowhere"), "404")


def test_htmx_is_served_from_our_origin_and_only_where_used(app, client):
    htmx = client.get("/static/vendor/htmx/htmx.min.js")
    assert htmx.status_code == 200
    assert "javascript" in htmx.content_type and b"htmx" in htmx.data[:2000]
    for path in ("/", "/privacy", "/login"):
        html = client.get(path).text
        assert "htmx.min.js" not in html, path
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), f"inline script on {path}"
        assert "style=" not in html, f"inline style on {path}"
    with app.test_request_context("/"):
        from flask import render_template_string

        page = render_template_string(
            '{% extends "base.html" %}{% block scripts %}<script src="'
            "{{ url_for('vendor.static', filename='htmx.min.js') }}\" defer></script>"
            "{% endblock %}"
        )
    assert '<script src="/static/vendor/htmx/htmx.min.js" defer></script>\n</body>' in page


def test_pages_load_nothing_from_another_origin(app, client):
    from app.demo import SLUG, load_demo

    load_demo()
    for path in ("/", f"/s/{SLUG}", "/privacy", "/login"):
        html = client.get(path).text
        external = re.findall(r'(?:src|href)="((?:https?:)?//[^"]+)"', html)
        assert external == [], path


# ---------------------------------------------------------------- error pages


def assert_khmer_error(response, code):
    assert response.status_code == code
    assert '<html lang="km">' in response.text
    assert ERROR_TITLES[code] not in response.text  # the English title is not shown
    assert_security_headers(response, code)


def test_400_for_a_form_without_its_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    english = client.post("/login?lang=en", data={"email": "a@b.c", "password": "x"})
    assert english.status_code == 400
    assert "This form has expired or was sent from another page." in english.text
    khmer = client.post("/login?lang=km", data={"email": "a@b.c", "password": "x"})
    assert_khmer_error(khmer, 400)
    assert "This form has expired" not in khmer.text


def test_403_for_a_moderator_on_an_organizer_page(app, client):
    create_user("mod@example.org", "moderator")
    client.post("/login", data={"email": "mod@example.org", "password": PASSWORD})
    assert "Not allowed" in client.get("/admin/?lang=en").text
    assert_khmer_error(client.get("/admin/?lang=km"), 403)


def test_404_for_a_missing_page(make_app):
    client = make_app().test_client()
    english = client.get("/no-such-page", headers={"Accept-Language": "en"})
    assert english.status_code == 404 and "Page not found" in english.text
    assert_khmer_error(client.get("/no-such-page", headers={"Accept-Language": "km"}), 404)
    assert_khmer_error(client.get("/s/no-such-session?lang=km"), 404)


def test_413_for_a_request_too_large(make_app):
    client = make_app(MAX_CONTENT_LENGTH=1000).test_client()
    big = {"email": "a@b.c", "password": "x" * 5000}
    english = client.post("/login?lang=en", data=big)
    assert english.status_code == 413 and "Too large" in english.text
    assert_khmer_error(client.post("/login?lang=km", data=big), 413)


def test_429_for_too_many_requests(make_app):
    client = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="1 per minute").test_client()
    client.post("/login?lang=km", data={"email": "a@b.c", "password": "x"})
    assert_khmer_error(client.post("/login?lang=km", data={"email": "a@b.c", "password": "x"}), 429)


def test_500_for_an_unexpected_error(make_app):
    app = make_app(TESTING=False, PROPAGATE_EXCEPTIONS=False)

    def broken():
        raise RuntimeError("a bug")

    app.add_url_rule("/broken", view_func=broken)
    client = app.test_client()
    english = client.get("/broken?lang=en")
    assert english.status_code == 500
    assert "Something went wrong" in english.text and "a bug" not in english.text
    khmer = client.get("/broken?lang=km")
    assert_khmer_error(khmer, 500)
    assert "RuntimeError" not in khmer.text


def test_htmx_requests_get_a_fragment_not_a_page(client):
    response = client.get("/no-such-page", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert "<html" not in response.text and "Page not found" in response.text


def test_an_error_page_tells_caches_it_differs_for_htmx(client):
    # The same URL answers a page or a fragment: a cache must keep them apart.
    page = client.get("/no-such-page")
    fragment = client.get("/no-such-page", headers={"HX-Request": "true"})
    assert "<html" in page.text and "<html" not in fragment.text
    assert "HX-Request" in page.headers.get("Vary", "")
    assert "HX-Request" in fragment.headers.get("Vary", "")


# ---------------------------------------------------------------- health check


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////nonexistent-sala-dir/missing/sala.sqlite",
        "postgresql+psycopg://sala@127.0.0.1:9/sala?connect_timeout=2",
    ],
    ids=["sqlite-in-a-missing-directory", "unreachable-postgresql"],
)
def test_healthz_answers_503_when_the_database_is_unreachable(url):
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url, "PLUGINS": []}
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "error"
    assert response.json["database"].startswith("error: ")
    assert "sala.sqlite" not in response.text and "127.0.0.1" not in response.text

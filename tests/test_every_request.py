"""What every request pays was made cheap (app/every_request.py): a session cookie verified
once per process, the signed CSRF token of a cached page kept per session, a visitor who
never signed in recognised at once. What a visitor must not notice: a cookie that is too
old or forged accepted because it was seen before, a token that no longer works, or a
signed-in person taken for a stranger."""

import re
from datetime import timedelta

import pytest
from registration_helpers import form
from support import create_user
from world import login, make_event

from app import every_request
from app.extensions import db
from app.models import Registration

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def cached_app(make_app):
    app = make_app(
        WTF_CSRF_ENABLED=True,
        PAGE_CACHE_SECONDS=60,
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=10),
    )
    with app.app_context():
        make_event()
    return app


def page(client, path="/s/planning"):
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_returning_visitor_registers_with_the_token_of_any_of_their_pages(cached_app):
    visitor = cached_app.test_client()
    tokens = [TOKEN.search(page(visitor))[1] for _ in range(3)]
    for n, token in enumerate(reversed(tokens)):
        response = visitor.post(
            "/s/planning/register", data=form(email=f"back{n}@example.org", csrf_token=token)
        )
        assert response.status_code == 302
    with cached_app.app_context():
        assert db.session.query(Registration).count() == 3
    # Still nobody else's.
    stranger = cached_app.test_client()
    page(stranger)
    response = stranger.post(
        "/s/planning/register", data=form(email="stranger@example.org", csrf_token=tokens[0])
    )
    assert response.status_code == 400


def test_a_session_too_old_ends_even_after_its_cookie_was_accepted(cached_app, monkeypatch):
    visitor = cached_app.test_client()
    assert '<html lang="km">' in page(visitor, "/s/planning?lang=km")
    assert '<html lang="km">' in page(visitor)  # the choice, from the session cookie
    assert '<html lang="km">' in page(visitor)  # and again, from the cookie seen before
    later = every_request.time.time() + 11 * 60
    monkeypatch.setattr(every_request.time, "time", lambda: later)
    assert '<html lang="km">' not in page(visitor)


def test_a_forged_cookie_is_refused_though_its_content_was_seen_before(cached_app):
    visitor = cached_app.test_client()
    page(visitor, "/s/planning?lang=km")
    assert '<html lang="km">' in page(visitor)
    cookie = visitor.get_cookie("session").value
    payload, _sep, signature = cookie.rpartition(".")
    forged = payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    forger = cached_app.test_client()
    forger.set_cookie("session", forged)
    assert '<html lang="km">' not in page(forger)


def test_a_signed_in_organizer_stays_signed_in_and_a_visitor_stays_anonymous(cached_app):
    with cached_app.app_context():
        create_user("org@example.org", "admin")
    organizer = cached_app.test_client()
    login(organizer, "org@example.org")
    for _ in range(2):
        assert "Sign out" in page(organizer)
    visitor = cached_app.test_client()
    for _ in range(2):
        assert "Sign out" not in page(visitor)
    assert visitor.get("/admin/").status_code in (302, 303)

"""The session page is kept for a few seconds as anonymous visitors see it (app/pagecache.py).
What a visitor must never notice: someone else's CSRF token, someone else's language or
message, an organizer's menu, or a change to the session that does not show."""

import os
import re
import uuid

import pytest
from registration_helpers import form
from support import create_user
from world import login, make_event

from app.extensions import db
from app.models import Event, Registration

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def cached_app(make_app):
    # CSRF on, as in production: the token is the part of a kept page that differs.
    app = make_app(WTF_CSRF_ENABLED=True, PAGE_CACHE_SECONDS=60)
    with app.app_context():
        make_event()
    return app


def page(client, path="/s/planning"):
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def rename_session(app):
    """An organizer's edit, committed through the ORM as the session editor commits it."""
    with app.app_context():
        db.session.query(Event).one().set_text("en", title="Renamed session")
        db.session.commit()


def test_each_visitor_gets_their_own_token_and_can_register(cached_app):
    first, second = cached_app.test_client(), cached_app.test_client()
    first_page, second_page = page(first), page(second)
    first_token, second_token = TOKEN.search(first_page)[1], TOKEN.search(second_page)[1]
    assert first_token != second_token
    # The page is the same otherwise: the second one came from the cache.
    assert first_page.replace(first_token, "") == second_page.replace(second_token, "")

    for client, token, email in (
        (second, second_token, "second@example.org"),
        (first, first_token, "first@example.org"),
    ):
        response = client.post("/s/planning/register", data=form(email=email, csrf_token=token))
        assert response.status_code == 302
    with cached_app.app_context():
        assert db.session.query(Registration).count() == 2

    # Another visitor's token is refused.
    response = second.post(
        "/s/planning/register", data=form(email="third@example.org", csrf_token=first_token)
    )
    assert response.status_code == 400


def test_each_language_is_kept_apart(cached_app):
    english = page(cached_app.test_client())
    khmer = page(cached_app.test_client(), "/s/planning?lang=km")
    again = page(cached_app.test_client())
    assert "Planning session" in english and 'lang="en"' in english
    assert "កិច្ចប្រជុំរៀបចំផែនការ" in khmer and '<html lang="km">' in khmer
    assert "Planning session" in again


def test_a_change_to_the_session_shows_at_once(cached_app):
    assert "Planning session" in page(cached_app.test_client())
    rename_session(cached_app)
    assert "Renamed session" in page(cached_app.test_client())


def test_a_signed_in_organizer_never_gets_or_leaves_a_kept_page(cached_app):
    with cached_app.app_context():
        create_user("org@example.org", "admin")
    anonymous = page(cached_app.test_client())
    organizer = cached_app.test_client()
    login(organizer, "org@example.org")
    assert "Sign out" in page(organizer) and "Sign out" not in anonymous
    assert "Sign out" not in page(cached_app.test_client())


def test_a_waiting_message_is_shown_to_its_visitor_only(cached_app):
    page(cached_app.test_client())
    visitor = cached_app.test_client()
    with visitor.session_transaction() as session:
        session["_flashes"] = [("info", "Your registration is cancelled.")]
    assert "Your registration is cancelled." in page(visitor)
    assert "Your registration is cancelled." not in page(cached_app.test_client())
    assert "Your registration is cancelled." not in page(visitor)


def test_off_when_set_to_zero(make_app):
    app = make_app(PAGE_CACHE_SECONDS=0)
    with app.app_context():
        event = make_event()
        assert "Planning session" in page(app.test_client())
        # Written around the ORM, so nothing would empty a cache: only rendering shows it.
        db.session.execute(
            Event.__table__.update().values(texts={"en": {"title": "Changed behind"}})
        )
        db.session.commit()
        db.session.expire(event)
    assert "Changed behind" in page(app.test_client())


def test_app_servers_sharing_a_redis_cache_show_a_change_at_once(make_app):
    """Two app servers (two apps here) on one Redis: an edit made through one shows on the
    other's next page, where per-process caches would wait out PAGE_CACHE_SECONDS."""
    redis = pytest.importorskip("redis")
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {url} (set TEST_REDIS_URL)")
    shared = dict(
        PAGE_CACHE_SECONDS=60,
        PAGE_CACHE_TYPE="RedisCache",
        PAGE_CACHE_REDIS_URL=url,
        PAGE_CACHE_KEY_PREFIX=f"sala-test-{uuid.uuid4().hex}:",
    )
    editing, serving = make_app(**shared), make_app(**shared)
    with editing.app_context():
        make_event()
    assert "Planning session" in page(serving.test_client())
    rename_session(editing)
    assert "Renamed session" in page(serving.test_client())


def test_a_page_asked_with_other_query_arguments_is_not_kept(cached_app):
    page(cached_app.test_client())
    rename_session(cached_app)  # the cache is emptied...
    page(cached_app.test_client(), "/s/planning?utm=<b>x</b>")  # ...and not filled by this
    with cached_app.app_context():
        db.session.query(Event).update({"texts": {"en": {"title": "Behind the cache"}}})
        db.session.commit()  # a bulk update: nothing empties the cache
    assert "Behind the cache" in page(cached_app.test_client())

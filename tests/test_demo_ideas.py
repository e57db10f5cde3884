"""`sala demo` brings a dozen ideas in Khmer, English and French, in every state an idea
can be in, so a moderator's first queue has work in it; the "demonstration" note shows on
the demo session only."""

from collections import Counter

import sqlalchemy as sa
from support import create_user
from world import make_event

from app.demo import SLUG, load_demo
from app.extensions import db
from app.models import Event, Idea

NOTE = "This is a demonstration session"


def demo_ideas():
    return db.session.scalars(sa.select(Idea).order_by(Idea.id)).all()


def test_the_demo_brings_a_dozen_ideas_in_three_languages_and_every_state(app):
    load_demo()
    ideas = demo_ideas()
    assert len(ideas) == 12
    assert Counter(i.language for i in ideas) == {"km": 4, "en": 4, "fr": 4}
    # "received" is where ideas wait without the moderation plugin; with it, "pending".
    assert {i.status for i in ideas} == set(Idea.STATUSES) - {"received"}
    merged = next(i for i in ideas if i.status == "merged")
    assert merged.merged_into.status == "approved"
    assert merged.merged_into.language == merged.language == "km"
    load_demo()  # safe to run again: no second dozen
    assert len(demo_ideas()) == 12


def test_a_moderators_first_queue_has_ideas_in_every_language(app, client, auth):
    load_demo()
    event = db.session.scalar(sa.select(Event).where(Event.slug == SLUG))
    auth.login(create_user("mod@example.org", "moderator").email)
    queue = client.get(f"/moderate/{event.id}?lang=en").text
    for idea in demo_ideas():
        if idea.status == "pending":
            assert idea.title in queue
    board = client.get(f"/s/{SLUG}/ideas?lang=en").text
    shown = [i for i in demo_ideas() if i.title in board]
    assert {i.status for i in shown} == {"approved", "discussed"}


def test_the_demonstration_note_shows_on_the_demo_session_only(app, client):
    load_demo()
    make_event(slug="real", texts={"en": {"title": "A real session"}})
    assert NOTE in client.get(f"/s/{SLUG}").text
    assert NOTE not in client.get("/s/real").text
    home = client.get("/").text
    assert home.count(NOTE) == 1

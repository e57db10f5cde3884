"""`sala demo` brings a dozen ideas in Khmer, English and French, in every state an idea
can be in, so a moderator's first queue has work in it; the "demonstration" note shows on
the demo session only."""

from collections import Counter

import sqlalchemy as sa
from support import create_user
from world import make_event

from app.demo import SLUG, load_demo
from app.demo_concluded import SLUG as CONCLUDED_SLUG
from app.extensions import db
from app.feedback.models import FeedbackResponse
from app.models import Event, Idea, Mailout, OutboxMessage, PlanVersion

NOTE = "This is a demonstration session"


def demo_ideas(slug=SLUG):
    return db.session.scalars(
        sa.select(Idea).join(Event).where(Event.slug == slug).order_by(Idea.id)
    ).all()


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
    assert home.count(NOTE) == 2  # the upcoming demo session and the concluded one


def count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_the_demo_shows_a_concluded_session_with_live_ideas_a_plan_and_feedback(app, client, auth):
    load_demo()
    load_demo()  # safe to run again: nothing added twice
    assert count(Event) == 2 and count(PlanVersion) == 1 and count(FeedbackResponse) == 5
    assert len(demo_ideas()) == 12  # the upcoming demo session as it was
    assert db.session.scalar(sa.select(Event.state).where(Event.slug == SLUG)) == "published"
    assert count(OutboxMessage) == 0 and count(Mailout) == 0  # nobody is mailed

    live = [i for i in demo_ideas(CONCLUDED_SLUG) if i.raised_live]
    assert {i.raised_by for i in live} == {"speaker", "attendee"}
    assert {i.language for i in demo_ideas(CONCLUDED_SLUG)} == {"en", "km", "fr"}

    plan = client.get(f"/s/{CONCLUDED_SLUG}/plan?lang=en").text
    assert "From the discussion during the session." in plan
    assert "From ideas sent in advance." in plan
    assert "From ideas sent in advance and from the discussion during the session." in plan
    assert "មកពីការពិភាក្សាក្នុងកិច្ចប្រជុំ។" in client.get(f"/s/{CONCLUDED_SLUG}/plan?lang=km").text

    board = client.get(f"/s/{CONCLUDED_SLUG}/ideas?lang=en").text
    assert board.count('class="raised-live"') == len(live) == 3
    assert "Expert on elections (speaker)" in board and "An attendee" in board
    assert "លើកឡើងផ្ទាល់ក្នុងកិច្ចប្រជុំ" in client.get(f"/s/{CONCLUDED_SLUG}/ideas?lang=km").text

    auth.login(create_user("org@example.org", "admin").email)
    event_id = db.session.scalar(sa.select(Event.id).where(Event.slug == CONCLUDED_SLUG))
    results = client.get(f"/admin/events/{event_id}/feedback?lang=en").text
    assert "5 people answered." in results
    assert "average 4.2 of 5" in results
    assert "The slides were hard to read on a phone." in results
    assert "សូមទុកពេលឱ្យបានច្រើនជាងនេះ" in results
    km = client.get(f"/admin/events/{event_id}/feedback?lang=km").text
    assert "តើកិច្ចប្រជុំនេះមានប្រយោជន៍សម្រាប់អ្នកកម្រិតណា?" in km


def test_the_home_page_does_not_offer_to_register_for_the_concluded_session(app, client):
    load_demo()
    home = client.get("/?lang=en").text
    cards = {
        slug: card
        for card in home.split('<article class="event-card">')[1:]
        for slug in (SLUG, CONCLUDED_SLUG)
        if f'href="/s/{slug}"' in card
    }
    assert "Read more and register" in cards[SLUG]
    assert "Read more and register" not in cards[CONCLUDED_SLUG]
    assert "Read more" in cards[CONCLUDED_SLUG]

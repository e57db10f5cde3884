"""Ideas raised live during the session (issue 17 §2): a moderator writes one down from the
queue, it is on the board at once marked "raised live", the plan tells it from the ideas
sent in advance, and the board has a view for sharing a screen in the meeting."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import g
from ideas_support import add_idea
from plan_helpers import PUBLISH_QUIETLY
from support import Auth
from world import IDEAS_OPEN, make_event

from app.extensions import db
from app.models import Idea, Plan

HX = {"HX-Request": "true"}


@pytest.fixture
def mod(client, moderator_user):
    Auth(client).login(moderator_user.email)
    return client


def add_live(client, event, htmx=True, **data):
    g.pop("_login_user", None)
    values = {"title": "", "body": "", "raised_by": "attendee", "name": "", "theme": ""}
    values["language"] = "en"
    values.update(data)
    return client.post(f"/moderate/{event.id}/live", data=values, headers=HX if htmx else {})


def live_ideas(event):
    db.session.expire_all()
    return db.session.scalars(
        sa.select(Idea).where(Idea.event_id == event.id, Idea.raised_live).order_by(Idea.id)
    ).all()


def error_after(html, field_id):
    """The error shown right after the field with this id (the field macro's error box)."""
    match = re.search(rf'<div class="error" id="{field_id}-error">(.*?)</div>', html, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip() if match else None


def test_a_speakers_idea_raised_live_is_on_the_board_at_once_and_marked(app, mod, client):
    event = make_event(IDEAS_OPEN)
    queue = mod.get(f"/moderate/{event.id}").get_data(as_text=True)
    assert "Add an idea raised live" in queue

    response = add_live(
        mod,
        event,
        title="An independent election commission",
        body="Proposed by the panel.",
        raised_by="speaker",
        name="Dr. Chea Vanna",
        theme=str(event.themes[0].id),
    )
    assert response.status_code == 200
    answer = response.get_data(as_text=True)
    (idea,) = live_ideas(event)
    assert f"Added as idea #{idea.id}" in answer
    # The form is back empty for the next one, still a speaker's.
    assert 'value="An independent election commission"' not in answer
    assert re.search(r'<input checked id="live-raised-by-0"[^>]*value="speaker"', answer)
    assert idea.status == "approved" and idea.raised_by == "speaker"

    g.pop("_login_user", None)
    board = client.get(f"/s/{event.slug}/ideas").get_data(as_text=True)
    card = re.search(rf'<article class="idea-card" id="idea-{idea.id}".*?</article>', board, re.S)
    assert card, board
    assert "Dr. Chea Vanna (speaker)" in card.group(0)
    assert "raised live" in card.group(0)
    assert "Elections" in card.group(0)
    # The queue says so too, and offers the speaker's name for the next idea.
    queue = mod.get(f"/moderate/{event.id}?status=approved").get_data(as_text=True)
    assert 'class="badge live-badge">raised live<' in queue
    assert '<option value="Dr. Chea Vanna">' in queue


def test_an_attendees_idea_stays_unnamed_and_works_without_javascript(app, mod, client):
    event = make_event(IDEAS_OPEN)
    response = add_live(
        mod, event, htmx=False, title="Sanctions on officials", name="Should be dropped"
    )
    assert response.status_code == 302
    page = mod.get(response.headers["Location"]).get_data(as_text=True)
    assert "on the board now" in page
    (idea,) = live_ideas(event)
    assert idea.author_name == "" and idea.body == ""
    board = client.get(f"/s/{event.slug}/ideas").get_data(as_text=True)
    assert "An attendee" in board
    assert "Should be dropped" not in board


@pytest.mark.parametrize("htmx", [True, False])
def test_bad_live_input_is_answered_next_to_the_field_and_the_form_is_kept(app, mod, htmx):
    event = make_event(IDEAS_OPEN)
    response = add_live(
        mod, event, htmx=htmx, title="", body="What the speaker said", raised_by="speaker"
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert error_after(html, "live-title") == "Give the idea a short title."
    assert error_after(html, "live-name") == "Give the name of the person who raised it."
    assert "What the speaker said</textarea>" in html
    response = add_live(mod, event, htmx=htmx, title="x" * 151, raised_by="nobody", theme="999")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert error_after(html, "live-title") == "The title can have at most 150 characters."
    assert error_after(html, "live-raised-by") == "Choose who raised the idea."
    assert error_after(html, "live-theme") == "Please choose a theme from the list."
    assert live_ideas(event) == []


def test_bad_live_input_is_answered_in_khmer(app, mod):
    event = make_event(IDEAS_OPEN)
    mod.get("/?lang=km")
    response = add_live(mod, event, title="", language="km")
    assert response.status_code == 422
    message = error_after(response.get_data(as_text=True), "live-title")
    assert message and re.search("[\u1780-\u17ff]", message)


def test_only_moderators_add_live_ideas(app, client):
    event = make_event(IDEAS_OPEN)
    response = add_live(client, event, title="Sneaked in")
    assert response.status_code in (302, 401, 403)
    assert live_ideas(event) == []


def test_the_plan_tells_ideas_from_the_discussion_from_ideas_sent_in_advance(
    app, client, mod, admin_user
):
    event = make_event(IDEAS_OPEN, state="concluded", starts_in=-timedelta(days=1))
    add_idea(event, title="Sent the week before", status="approved")
    add_live(mod, event, title="Said in the meeting", raised_by="name", name="Sok Dara")
    g.pop("_login_user", None)
    Auth(client).logout()
    Auth(client).login(admin_user.email)
    plan_url = f"/admin/events/{event.id}/plan"
    editor = client.get(plan_url).get_data(as_text=True)
    marked = r"Said in the meeting</span> <span class=\"small\">\(approved · raised live\)"
    assert re.search(marked, editor)
    client.post(f"{plan_url}/draft-from-ideas")
    plan = db.session.scalar(sa.select(Plan).where(Plan.event_id == event.id))
    for section in plan.sections:
        for item in section.items:
            key = f"item-{item.id}"
            data = {f"{key}-what_{lang}": f"{item.what['en']} ({lang})" for lang in ("en", "km")}
            data[f"{key}-status"] = "agreed"
            client.post(f"{plan_url}/items/{item.id}", data=data)
    for section in plan.sections:
        data = {f"section-{section.id}-title_{lang}": f"Section {lang}" for lang in ("en", "km")}
        client.post(f"{plan_url}/sections/{section.id}", data=data)
    client.post(f"{plan_url}/intro", data={"intro-intro_en": "Intro", "intro-intro_km": "សេចក្ដី"})
    published = client.post(f"{plan_url}/publish", data=PUBLISH_QUIETLY)
    assert published.status_code == 302, published.get_data(as_text=True)
    public = client.get(f"/s/{event.slug}/plan").get_data(as_text=True)
    assert "Said in the meeting" in public, public
    items = public.split('<li class="plan-item"')[1:]
    origins = {
        re.search(r"(Sent the week before|Said in the meeting) \(en\)", item).group(1): re.search(
            r'<p class="plan-origin">(.*?)</p>', item
        ).group(1)
        for item in items
    }
    assert origins == {
        "Sent the week before": "From ideas sent in advance.",
        "Said in the meeting": "From the discussion during the session.",
    }


def test_the_screen_view_shows_the_board_without_any_control(app, client):
    event = make_event(IDEAS_OPEN, starts_in=-timedelta(minutes=10))
    add_idea(event, title="Free the press", status="approved", language="km")
    add_idea(event, title="Still waiting")
    html = client.get(f"/s/{event.slug}/ideas/screen?lang=km").get_data(as_text=True)
    assert "Free the press" in html and "Still waiting" not in html
    assert '<body class="screen lang-km">' in html
    for control in ("<form", "<button", "<input", "<select", "<nav", "<a "):
        assert control not in html, control
    # While the session is live it refreshes itself; after, the polling stops.
    assert 'data-hx-trigger="every' in html
    db.session.get(type(event), event.id).starts_at -= timedelta(days=1)
    db.session.commit()
    response = client.get(f"/s/{event.slug}/ideas/screen", headers=HX)
    assert response.status_code == 286


def test_the_screen_view_of_an_unknown_session_is_a_404(app, client):
    assert client.get("/s/nothing-here/ideas/screen").status_code == 404


def test_a_live_idea_of_only_a_title_can_be_corrected(app, mod):
    event = make_event(IDEAS_OPEN)
    add_live(mod, event, title="Indepndent media")
    (idea,) = live_ideas(event)
    g.pop("_login_user", None)
    response = mod.post(
        f"/moderate/{event.id}/ideas/{idea.id}/edit",
        data={"revision": idea.revision, "title": "Independent media", "body": ""},
        headers=HX,
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert live_ideas(event)[0].title == "Independent media"

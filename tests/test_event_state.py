"""A session's life: draft → published → concluded → plan_published → archived, and back one
step to undo a mistake. One function holds the rules; the organizer's page moves it."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from support import PASSWORD, create_user

from app.demo import SLUG, load_demo
from app.events import (
    ACTIONS,
    OWN_STEP,
    TransitionError,
    allowed_states,
    change_state,
    current_events,
    transition,
)
from app.extensions import db
from app.models import AuditEntry, Event
from app.sessions.overview import state_label
from app.templating import zone_name


@pytest.fixture
def event(app):
    load_demo()
    found = db.session.scalar(sa.select(Event).where(Event.slug == SLUG))
    found.state = "draft"
    db.session.commit()
    return found


def set_state(event, state):
    event.state = state
    db.session.commit()


def state_audit():
    return [
        (e.detail["before"], e.detail["after"])
        for e in db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "event.state").order_by(AuditEntry.id)
        )
    ]


def buttons(html):
    """The states the page's forms would move the session to."""
    return re.findall(r'<input type="hidden" name="state" value="(\w+)">', html)


def test_change_state_walks_the_whole_life_and_back(event, admin_user):
    forward = ["published", "concluded", "plan_published", "archived"]
    for state in forward:
        if state == "plan_published":  # only by publishing a version (plan/service.py)
            transition(event, "publish_plan", admin_user)
        else:
            change_state(event, state, admin_user)
    for state in ["plan_published", "concluded", "published", "draft"]:
        change_state(event, state, admin_user)
    db.session.commit()
    states = ["draft", *forward]
    assert state_audit() == list(zip(states, states[1:], strict=False)) + list(
        zip(states[::-1], states[::-1][1:], strict=False)
    )
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "event.state"))
    assert (entry.actor_id, entry.target_type, entry.target_id) == (
        admin_user.id,
        "event",
        event.id,
    )


@pytest.mark.parametrize(
    "before, after",
    [
        ("draft", "concluded"),
        ("draft", "archived"),
        ("published", "plan_published"),
        ("concluded", "plan_published"),  # a step of its own: publishing a version
        ("concluded", "draft"),
        ("archived", "draft"),
        ("published", "published"),
        ("published", "no-such-state"),
    ],
)
def test_change_state_refuses_jumps(event, admin_user, before, after):
    set_state(event, before)
    with pytest.raises(TransitionError):
        change_state(event, after, admin_user)
    assert event.state == before
    assert state_audit() == []


# Where each action leads from each state; None: refused. Written out by hand, so a change to
# the gate's table shows here as a change of behaviour.
EXPECTED = {
    "draft": {"publish": "published", "cancel": "cancelled"},
    "published": {"conclude": "concluded", "unpublish": "draft", "cancel": "cancelled"},
    "concluded": {
        "publish_plan": "plan_published",
        "archive": "archived",
        "reopen": "published",
    },
    "plan_published": {
        "publish_plan": "plan_published",
        "archive": "archived",
        "withdraw_plan": "concluded",
    },
    "archived": {"publish_plan": "archived", "unarchive": "plan_published"},
    "cancelled": {"uncancel": "draft"},
}


@pytest.mark.parametrize("state", Event.STATES)
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_every_action_from_every_state(event, admin_user, state, action):
    set_state(event, state)
    expected = EXPECTED[state].get(action)
    if expected is None:
        with pytest.raises(TransitionError):
            transition(event, action, admin_user)
        db.session.commit()
        assert db.session.get(Event, event.id).state == state
        assert state_audit() == []
        return
    assert transition(event, action, admin_user) == expected
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Event, event.id).state == expected
    assert state_audit() == ([(state, expected)] if expected != state else [])


def test_the_buttons_offer_exactly_the_moves_the_gate_allows(event):
    for state in Event.STATES:
        set_state(event, state)
        moves = {
            to for action, to in EXPECTED[state].items() if to != state and action not in OWN_STEP
        }
        assert set(allowed_states(event)) == moves


def test_the_plan_is_published_from_its_editor_never_by_a_state_button(
    client, auth, admin_user, event
):
    """ "Mark the Plan of Action as published" moved the state without a version to read; the
    session's page now sends the organizer to the plan editor's one publish-and-send step."""
    set_state(event, "concluded")
    auth.login(admin_user.email)
    page = client.get(f"/admin/events/{event.id}").text
    assert "plan_published" not in buttons(page)
    assert "Mark the Plan of Action as published" not in page
    assert f'href="/admin/events/{event.id}/plan#plan-publish"' in page
    response = client.post(f"/admin/events/{event.id}/state", data={"state": "plan_published"})
    assert response.status_code == 302
    assert db.session.get(Event, event.id).state == "concluded"
    assert state_audit() == []


@pytest.mark.parametrize("before", ["concluded", "plan_published"])
def test_unarchiving_goes_back_to_the_state_it_was_archived_from(event, admin_user, before):
    set_state(event, before)
    change_state(event, "archived", admin_user)
    db.session.commit()
    assert allowed_states(event) == (before,)
    change_state(event, before, admin_user)
    db.session.commit()
    assert db.session.get(Event, event.id).state == before
    assert state_audit() == [(before, "archived"), ("archived", before)]


def test_a_session_moved_meanwhile_is_not_moved_again(event, admin_user):
    """Another organizer published the draft after this request read it: "publish" again is
    refused, nothing is overwritten and the audit log holds no second move."""
    assert event.state == "draft"  # what this request read
    with db.engine.begin() as other:
        other.execute(sa.update(Event).where(Event.id == event.id).values(state="published"))
    with pytest.raises(TransitionError):
        transition(event, "publish", admin_user)
    db.session.rollback()
    assert db.session.get(Event, event.id).state == "published"
    assert state_audit() == []


def test_organizer_publishes_a_draft_from_its_page(client, auth, admin_user, event):
    auth.login(admin_user.email)
    page = client.get(f"/admin/events/{event.id}").text
    assert "This session is: Draft." in page
    assert buttons(page) == ["published", "cancelled"]
    assert "Publish the session" in page
    assert event not in current_events()

    response = client.post(f"/admin/events/{event.id}/state", data={"state": "published"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert "The session is now: Published." in page
    assert buttons(page) == ["concluded", "draft", "cancelled"]
    assert "Undo: back to “Draft”" in page
    assert db.session.get(Event, event.id).state == "published"
    assert state_audit() == [("draft", "published")]
    assert client.get("/").text.count("Cambodia after the 2023 election") >= 1


@pytest.mark.parametrize(
    "state, before", [("concluded", "published"), ("archived", "plan_published")]
)
def test_concluding_and_archiving_ask_for_confirmation_first(
    client, auth, admin_user, event, state, before
):
    set_state(event, before)
    auth.login(admin_user.email)
    first = client.post(f"/admin/events/{event.id}/state", data={"state": state})
    assert first.status_code == 200
    assert "You can undo this afterwards." in first.text
    assert '<input type="hidden" name="confirm" value="yes">' in first.text
    assert "<script" not in first.text.split("<body")[1].split("</footer>")[0]
    assert db.session.get(Event, event.id).state == before
    assert state_audit() == []

    confirmed = client.post(
        f"/admin/events/{event.id}/state", data={"state": state, "confirm": "yes"}
    )
    assert confirmed.status_code == 302
    assert db.session.get(Event, event.id).state == state
    assert state_audit() == [(before, state)]


def test_undo_needs_no_confirmation(client, auth, admin_user, event):
    set_state(event, "archived")
    auth.login(admin_user.email)
    response = client.post(f"/admin/events/{event.id}/state", data={"state": "plan_published"})
    assert response.status_code == 302
    assert db.session.get(Event, event.id).state == "plan_published"


def test_an_impossible_move_is_refused_with_a_message(client, auth, admin_user, event):
    auth.login(admin_user.email)
    response = client.post(
        f"/admin/events/{event.id}/state", data={"state": "archived", "confirm": "yes"}
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert "This change is not possible from the session&#39;s current state." in page
    assert db.session.get(Event, event.id).state == "draft"


def csrf_token(html):
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def test_state_change_needs_the_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        user = create_user("organizer@example.org", "admin")
        load_demo()
        found = db.session.scalar(sa.select(Event))
        client = app.test_client()
        token = csrf_token(client.get("/login").text)
        client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
        url = f"/admin/events/{found.id}/state"
        refused = client.post(url, data={"state": "draft"})
        assert refused.status_code == 400
        assert db.session.get(Event, found.id).state == "published"
        token = csrf_token(client.get(f"/admin/events/{found.id}").text)
        accepted = client.post(url, data={"state": "draft", "csrf_token": token})
        assert accepted.status_code == 302
        db.session.expire_all()
        assert db.session.get(Event, found.id).state == "draft"


def test_moderator_cannot_move_a_session(client, auth, moderator_user, event):
    auth.login(moderator_user.email)
    response = client.post(f"/admin/events/{event.id}/state", data={"state": "published"})
    assert response.status_code == 403
    assert db.session.get(Event, event.id).state == "draft"


def own_row(html, event):
    """The overview's row of `event` alone (the demo's concluded session is listed too);
    any other page whole."""
    rows = [row for row in html.split("<tr>") if f'/admin/events/{event.id}"' in row]
    return f"<main>{rows[0].split('</tr>')[0]}</main>" if rows else html


def visible_text(html):
    """The words a reader sees: no tags, no attribute values."""
    body = html.split("<main", 1)[1].split("</main>", 1)[0]
    return re.sub(r"<[^>]*>", " ", body)


@pytest.mark.parametrize("state", Event.STATES)
@pytest.mark.parametrize("lang", ["km", "en", "fr"])
def test_the_session_state_is_shown_in_words_in_the_readers_language(
    client, auth, admin_user, event, state, lang
):
    set_state(event, state)
    auth.login(admin_user.email)
    with client.application.test_request_context(f"/?lang={lang}"):
        label = state_label(state)
    for path in (f"/admin/events/{event.id}", "/admin/"):
        text = visible_text(own_row(client.get(f"{path}?lang={lang}").text, event))
        assert not re.search(rf"\b{state}\b", text), (path, state)
        assert str(label) in text, path


def test_concluding_a_session_that_has_not_happened_yet_warns_first(
    client, auth, admin_user, event
):
    set_state(event, "published")  # the demo starts in three weeks
    auth.login(admin_user.email)
    first = client.post(f"/admin/events/{event.id}/state", data={"state": "concluded"})
    assert first.status_code == 200
    assert "This session has not taken place yet" in first.text
    # The start is said with its zone, as everywhere a time is shown.
    zone = zone_name(event.timezone, "en")
    assert re.search(rf"it starts on [^<]+\({re.escape(zone)}\)", first.text), first.text
    assert 'role="alert"' in first.text
    assert db.session.get(Event, event.id).state == "published"


def test_concluding_after_the_meeting_has_no_warning(client, auth, admin_user, event):
    event.starts_at = event.starts_at - timedelta(weeks=4)
    set_state(event, "published")
    auth.login(admin_user.email)
    first = client.post(f"/admin/events/{event.id}/state", data={"state": "concluded"})
    assert "You can undo this afterwards." in first.text
    assert "has not taken place yet" not in first.text


def test_a_session_concluded_before_its_date_shows_no_time_left(app, event, admin_user):
    set_state(event, "published")
    visitor = app.test_client()
    page = visitor.get(f"/s/{event.slug}").text
    assert "Time left until the start:" in page
    organizer = app.test_client()
    organizer.post("/login", data={"email": admin_user.email, "password": PASSWORD})
    organizer.post(f"/admin/events/{event.id}/state", data={"state": "concluded", "confirm": "yes"})
    page = visitor.get(f"/s/{event.slug}").text
    assert db.session.get(Event, event.id).state == "concluded"
    assert "This session has ended" in page, page[page.find('id="register"') :][:600]
    assert "Time left until the start:" not in page
    assert "data-countdown" not in page

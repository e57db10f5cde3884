"""A session's life: draft → published → concluded → plan_published → archived, and back one
step to undo a mistake. One function holds the rules; the organizer's page moves it."""

import re

import pytest
import sqlalchemy as sa
from support import PASSWORD, create_user

from app.demo import load_demo
from app.events import TRANSITIONS, TransitionError, change_state, current_events
from app.extensions import db
from app.models import AuditEntry, Event


@pytest.fixture
def event(app):
    load_demo()
    found = db.session.scalar(sa.select(Event))
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


def test_every_state_has_a_way_forward_or_back():
    assert set(TRANSITIONS) == set(Event.STATES)
    for targets in TRANSITIONS.values():
        assert set(targets) <= set(Event.STATES)


def test_organizer_publishes_a_draft_from_its_page(client, auth, admin_user, event):
    auth.login(admin_user.email)
    page = client.get(f"/admin/events/{event.id}").text
    assert "This session is: Draft." in page
    assert buttons(page) == ["published"]
    assert "Publish the session" in page
    assert event not in current_events()

    response = client.post(f"/admin/events/{event.id}/state", data={"state": "published"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert "The session is now: Published." in page
    assert buttons(page) == ["concluded", "draft"]
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

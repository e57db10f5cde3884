"""Publishing the Plan of Action moves the session through the one gate of its life: a
complete plan on a session still in draft (or merely published) is refused, and the draft
stays out of public view."""

import pytest
import sqlalchemy as sa
from plan_helpers import PUBLISH_QUIETLY, make_idea
from test_plan import fill_plan, plan_url
from world import CONCLUDED, make_event

from app.extensions import db
from app.models import AuditEntry, Event, PlanVersion

# Runs in tests/test_core_alone.py too: these need no bundled plugin.
pytestmark = pytest.mark.core_alone


@pytest.fixture
def organizer(client, auth, admin_user):
    auth.login(admin_user.email)
    return client


def ready_plan(organizer, state):
    event = make_event(CONCLUDED, state=state)
    make_idea(event, "Free all political prisoners", theme=event.themes[0])
    organizer.post(plan_url(event, "/draft-from-ideas"))
    fill_plan(organizer, event)
    return event


@pytest.mark.parametrize("state", ["draft", "published"])
def test_a_complete_plan_on_a_session_not_yet_concluded_is_not_published(organizer, client, state):
    event = ready_plan(organizer, state)
    editor = organizer.get(plan_url(event)).text
    assert "once the session is concluded" in editor

    response = organizer.post(plan_url(event, "/publish"), data=PUBLISH_QUIETLY)
    assert response.status_code == 422
    assert "The Plan of Action can be published once the session is concluded." in response.text
    db.session.expire_all()
    assert db.session.get(Event, event.id).state == state
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PlanVersion)) == 0
    assert client.get(f"/s/{event.slug}/plan").status_code == 404
    if state == "draft":
        assert client.get(f"/s/{event.slug}").status_code == 404
        assert event.slug not in client.get("/").text


def test_publishing_the_plan_of_a_concluded_session_is_one_audited_move(organizer, client):
    event = ready_plan(organizer, "concluded")
    assert "once the session is concluded" not in organizer.get(plan_url(event)).text
    assert organizer.post(plan_url(event, "/publish"), data=PUBLISH_QUIETLY).status_code == 302
    assert db.session.get(Event, event.id).state == "plan_published"
    moves = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "event.state"))
    assert [(m.detail["before"], m.detail["after"], m.detail["via"]) for m in moves] == [
        ("concluded", "plan_published", "publish_plan")
    ]
    assert client.get(f"/s/{event.slug}/plan").status_code == 200


def test_a_new_version_of_an_archived_session_leaves_it_archived(organizer, client):
    event = ready_plan(organizer, "archived")
    assert organizer.post(plan_url(event, "/publish"), data=PUBLISH_QUIETLY).status_code == 302
    assert db.session.get(Event, event.id).state == "archived"
    assert event.slug not in client.get("/").text
    assert client.get(f"/s/{event.slug}/plan").status_code == 200

"""The author's idea status page once the Plan of Action is out (issue 18.4): it says when the
idea became part of the plan, and no longer offers to withdraw it."""

from datetime import datetime

import pytest
from ideas_support import add_idea
from world import IDEAS_OPEN, make_event

from app.extensions import db
from app.models import LinkToken, PlanVersion
from app.plan.service import get_plan


def status_path(idea):
    _row, raw = LinkToken.issue("idea", idea)
    db.session.commit()
    return f"/ideas/status/{raw}"


def publish_plan_with(event, *ideas):
    plan = get_plan(event)
    snapshot = {"sections": [{"items": [{"ideas": [{"id": idea.id} for idea in ideas]}]}]}
    published = datetime(2026, 12, 1, 13, 0)  # 20:00 in Phnom Penh
    db.session.add(PlanVersion(plan=plan, number=1, published_at=published, snapshot=snapshot))
    event.state = "plan_published"
    db.session.commit()


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "the Plan of Action on December 1, 2026, 8:00 PM (Phnom Penh time)"),
        ("km", "គំនិតរបស់អ្នកបានក្លាយជាផ្នែកមួយនៃផែនការសកម្មភាព"),
        ("fr", "Votre idée fait partie du Plan d’action depuis le 1 décembre 2026"),
    ],
)
def test_the_status_page_says_when_the_idea_joined_the_plan(client, lang, said):
    event = make_event(IDEAS_OPEN, timezone="Asia/Phnom_Penh")
    idea = add_idea(event, status="approved")
    path = status_path(idea)
    assert "/withdraw" in client.get(f"{path}?lang={lang}").text  # before: it can be withdrawn
    publish_plan_with(event, idea)
    page = client.get(f"{path}?lang={lang}").text.replace("\u202f", " ").replace("\xa0", " ")
    assert said in page
    assert "/withdraw" not in page


def test_an_idea_not_in_the_plan_cannot_be_withdrawn_once_it_is_out(client):
    event = make_event(IDEAS_OPEN)
    used, other = (
        add_idea(event, status="approved"),
        add_idea(event, title="Other", status="approved"),
    )
    path = status_path(other)
    publish_plan_with(event, used)
    page = client.get(f"{path}?lang=en").text
    assert "became part of the Plan of Action" not in page and "/withdraw" not in page
    client.post(f"{path}/withdraw")
    db.session.refresh(other)
    assert other.status == "approved"

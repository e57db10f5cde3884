"""Speakers linked to what they presented (issue 16 §1): a moderator picks the speaker on an
idea in the moderation queue (inline with htmx, or a plain form) or when writing down an
idea raised live; the organizer picks one on a plan item in the editor. The board, the
screen view, the plan page (the printable one too) say "presented by NAME", in Khmer too.
Removing the speaker clears the links and keeps the ideas and items."""

import re

import pytest
import sqlalchemy as sa
from flask import g
from ideas_support import add_idea
from support import Auth
from world import CONCLUDED, IDEAS_OPEN, make_event

from app.extensions import db
from app.models import Idea, Plan, PlanItem, PlanSection
from app.speakers.models import Speaker

HX = {"HX-Request": "true"}


@pytest.fixture
def organizer(client, admin_user):
    Auth(client).login(admin_user.email)
    return client


def add_speaker(event, en, km=""):
    texts = {"en": {"name": en}}
    if km:
        texts["km"] = {"name": km}
    speaker = Speaker(event=event, texts=texts, position=len(event.speaker_rows))
    db.session.add(speaker)
    db.session.commit()
    return speaker


def card(html, idea):
    match = re.search(rf'<article class="idea-card" id="idea-{idea.id}".*?</article>', html, re.S)
    assert match, html
    return match.group(0)


def board(client, event, lang="en"):
    g.pop("_login_user", None)
    return client.get(f"/s/{event.slug}/ideas?lang={lang}").get_data(as_text=True)


@pytest.mark.parametrize("htmx", [True, False])
def test_a_moderator_links_an_idea_to_its_speaker_and_the_board_says_so(
    app, organizer, client, htmx
):
    event = make_event(IDEAS_OPEN)
    chea = add_speaker(event, "Dr. Chea Vanna", "បណ្ឌិត ជា វណ្ណា")
    add_speaker(event, "Sok Dara")
    idea = add_idea(event, title="An independent election commission", status="pending")
    queue = organizer.get(f"/moderate/{event.id}").get_data(as_text=True)
    assert f'<option value="{chea.id}">Dr. Chea Vanna</option>' in queue
    response = organizer.post(
        f"/moderate/{event.id}/ideas/{idea.id}/presenter",
        data={"speaker_id": str(chea.id), "revision": str(idea.revision)},
        headers=HX if htmx else {},
    )
    if htmx:
        assert response.status_code == 200
        row = response.get_data(as_text=True)
        assert "presented by Dr. Chea Vanna" in row and "Presenter saved." in row
        assert f'<option value="{chea.id}" selected>' in row
    else:
        assert response.status_code == 302
    organizer.post(
        f"/moderate/{event.id}/ideas/{idea.id}/approve",
        data={"revision": str(db.session.get(Idea, idea.id).revision)},
    )
    assert "presented by Dr. Chea Vanna" in card(board(client, event), idea)
    assert "បង្ហាញដោយ បណ្ឌិត ជា វណ្ណា" in card(board(client, event, "km"), idea)
    screen = client.get(f"/s/{event.slug}/ideas/screen?lang=en").get_data(as_text=True)
    assert "presented by Dr. Chea Vanna" in screen


def test_another_sessions_speaker_is_refused_and_nothing_changes(app, organizer):
    event = make_event(IDEAS_OPEN)
    other = make_event(IDEAS_OPEN, slug="other")
    stranger = add_speaker(other, "Somebody Else")
    idea = add_idea(event, status="approved")
    response = organizer.post(
        f"/moderate/{event.id}/ideas/{idea.id}/presenter",
        data={"speaker_id": str(stranger.id), "revision": str(idea.revision)},
        headers=HX,
    )
    assert response.status_code == 422
    assert "not one of the session" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).presented_by_id is None


def test_an_idea_raised_live_is_linked_to_the_chosen_speaker(app, organizer, client):
    event = make_event(IDEAS_OPEN)
    chea = add_speaker(event, "Dr. Chea Vanna")
    g.pop("_login_user", None)
    response = organizer.post(
        f"/moderate/{event.id}/live",
        data={
            "title": "Sanctions on those responsible",
            "raised_by": "speaker",
            "name": "",
            "presenter": str(chea.id),
            "language": "en",
            "theme": "",
        },
        headers=HX,
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    idea = db.session.scalar(sa.select(Idea).where(Idea.event_id == event.id))
    assert idea.presented_by_id == chea.id and idea.author_name == "Dr. Chea Vanna"
    assert "presented by Dr. Chea Vanna" in card(board(client, event), idea)


def plan_with_item(event):
    plan = Plan(event=event, intro={"en": "Intro"})
    section = PlanSection(plan=plan, title={"en": "Elections"}, position=0)
    item = PlanItem(section=section, what={"en": "Ask for a new election"}, who={}, position=0)
    db.session.add_all([plan, section, item])
    db.session.commit()
    return item


@pytest.mark.parametrize("htmx", [True, False])
def test_the_organizer_links_a_plan_item_to_its_speaker(app, organizer, htmx):
    event = make_event(CONCLUDED)
    chea = add_speaker(event, "Dr. Chea Vanna", "បណ្ឌិត ជា វណ្ណា")
    item = plan_with_item(event)
    url = f"/admin/events/{event.id}/plan"
    editor = organizer.get(url).get_data(as_text=True)
    assert f'<option value="{chea.id}">Dr. Chea Vanna</option>' in editor
    key = f"item-{item.id}"
    data = {f"{key}-what_en": "Ask for a new election", f"{key}-status": "agreed"}
    data[f"{key}-presented_by"] = str(chea.id)
    response = organizer.post(f"{url}/items/{item.id}", data=data, headers=HX if htmx else {})
    assert response.status_code == (200 if htmx else 302)
    db.session.expire_all()
    assert db.session.get(PlanItem, item.id).presented_by_id == chea.id
    preview = organizer.get(f"{url}/preview").get_data(as_text=True)
    assert '<p class="plan-item-presenter">presented by Dr. Chea Vanna</p>' in preview
    preview_km = organizer.get(f"{url}/preview?lang=km").get_data(as_text=True)
    assert "បង្ហាញដោយ បណ្ឌិត ជា វណ្ណា" in preview_km


def test_a_speaker_not_of_the_session_is_refused_beside_the_field(app, organizer):
    event = make_event(CONCLUDED)
    item = plan_with_item(event)
    add_speaker(event, "Dr. Chea Vanna")
    key = f"item-{item.id}"
    data = {f"{key}-what_en": "Changed", f"{key}-status": "agreed", f"{key}-presented_by": "999"}
    response = organizer.post(f"/admin/events/{event.id}/plan/items/{item.id}?lang=km", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{key}-presented_by-error"' in html and "សូមជ្រើសរើសវាគ្មិនម្នាក់ពីបញ្ជី។" in html
    assert "Changed</textarea>" in html  # the form is kept


def test_removing_a_speaker_keeps_their_ideas_and_items_without_the_link(app, organizer, client):
    event = make_event(CONCLUDED, ideas_open_at=None)
    chea = add_speaker(event, "Dr. Chea Vanna")
    idea = add_idea(event, status="approved", presented_by=chea)
    item = plan_with_item(event)
    item.presented_by = chea
    db.session.commit()
    assert "presented by Dr. Chea Vanna" in card(board(client, event), idea)
    response = organizer.post(f"/admin/events/{event.id}/speaker/{chea.id}/remove")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).presented_by_id is None
    assert db.session.get(PlanItem, item.id).presented_by_id is None
    assert "presented by" not in card(board(client, event), idea)
    assert organizer.get(f"/admin/events/{event.id}/plan").status_code == 200

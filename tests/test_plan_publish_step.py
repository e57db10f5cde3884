"""Issue 18.9: the Plan of Action is published and mailed in ONE step of the plan editor. The
form says what will happen (the address, who is mailed in which language, or "publish
without mailing" as the explicit second choice), a page asks once more, and only then is
the version out. The old controls (a "Mail it now" box, a "mail on publishing" setting, a
"Mark the Plan of Action as published" state button) are gone."""

import re

import pytest
import sqlalchemy as sa
from plan_helpers import make_idea, make_registration
from support import Auth, create_user
from test_plan_mail import plan_url, write_plan
from world import CONCLUDED, make_event

from app.extensions import db
from app.mail.mailout import advance_all
from app.models import Event, Mailout, OutboxMessage, PlanVersion


@pytest.fixture
def organizer(mail_app):
    client = mail_app.test_client()
    create_user("organizer@example.org", "admin")
    Auth(client).login("organizer@example.org")
    return client


@pytest.fixture
def session_with_ideas(mail_app):
    """A concluded session: an English and a Khmer registrant (and two who get nothing), an
    idea in each of two themes."""
    event = make_event(CONCLUDED)
    english = make_registration(event, "reader@example.org", language="en")
    khmer = make_registration(event, "khmer@example.org", language="km")
    make_registration(event, "unconfirmed@example.org", status="unconfirmed")
    make_registration(event, "cancelled@example.org", status="cancelled")
    ideas = [
        make_idea(event, "Free all political prisoners", theme=event.themes[0]),
        make_idea(event, "Protect exiled journalists", theme=event.themes[1]),
    ]
    return event, english, khmer, ideas


def counts():
    return (
        db.session.scalar(sa.select(sa.func.count()).select_from(PlanVersion)),
        db.session.scalar(sa.select(sa.func.count()).select_from(Mailout)),
    )


def ready(organizer, event):
    organizer.post(plan_url(event, "/draft-from-ideas"))
    write_plan(organizer, event)


def test_the_editor_offers_one_step_that_says_what_will_happen(organizer, session_with_ideas):
    event, english, khmer, ideas = session_with_ideas
    make_registration(event, "second.khmer@example.org", language="km")
    ready(organizer, event)
    page = organizer.get(plan_url(event) + "?lang=en").text
    form = page.split('class="form publish-form"')[1].split("</form>")[0]
    assert re.findall(r'name="publish-mail" type="radio" value="(\w+)"', form) == ["send", "none"]
    assert 'checked id="publish-mail-0"' in form or re.search(
        r'<input checked[^>]*value="send"', form
    )
    assert "Publish and mail it to every registrant" in form
    assert "Publish without mailing" in form
    assert f"http://sala.test/s/{event.slug}/plan" in form
    assert "3 registrants get the whole plan by mail, each in their language: " in form
    assert "2 in Khmer, 1 in English." in form
    # The controls it replaces are gone.
    assert "Mail it now" not in page and "Mail it to every registrant now" not in page
    assert "on publishing" not in page and "settings" not in page


def test_publishing_is_asked_once_more_then_mails_each_in_their_language(
    organizer, session_with_ideas
):
    event, english, khmer, ideas = session_with_ideas
    ready(organizer, event)
    first = organizer.post(plan_url(event, "/publish") + "?lang=en", data={"publish-mail": "send"})
    assert first.status_code == 200
    assert counts() == (0, 0)  # nothing has happened yet
    assert "<h1>Publish version 1 of the Plan of Action?</h1>" in first.text
    assert "2 registrants get the whole plan by mail, each in their language: " in first.text
    assert "1 in English, 1 in Khmer." in first.text
    assert "Yes, publish and mail it" in first.text
    assert f"http://sala.test/s/{event.slug}/plan" in first.text
    assert '<input type="hidden" name="confirm" value="yes">' in first.text
    assert '<input type="hidden" name="publish-mail" value="send">' in first.text

    done = organizer.post(
        plan_url(event, "/publish"), data={"publish-mail": "send", "confirm": "yes"}
    )
    assert done.status_code == 302
    assert counts() == (1, 1)
    db.session.expire_all()
    assert db.session.get(Event, event.id).state == "plan_published"
    while advance_all():
        pass
    mails = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.kind == "plan_published")
    )
    assert sorted((m.recipient, m.language) for m in mails) == [
        ("khmer@example.org", "km"),
        ("reader@example.org", "en"),
    ]


def test_publish_without_mailing_is_an_explicit_choice_that_mails_nobody(
    organizer, session_with_ideas
):
    event, english, khmer, ideas = session_with_ideas
    ready(organizer, event)
    asked = organizer.post(plan_url(event, "/publish") + "?lang=en", data={"publish-mail": "none"})
    assert "Nobody is mailed now." in asked.text
    assert "Yes, publish without mailing" in asked.text
    response = organizer.post(
        plan_url(event, "/publish") + "?lang=en", data={"publish-mail": "none", "confirm": "yes"}
    )
    assert counts() == (1, 0)
    page = organizer.get(response.headers["Location"]).text
    assert "Version 1 is published. Nobody was mailed." in page


def test_no_choice_is_said_beside_the_field_and_nothing_is_published(organizer, session_with_ideas):
    event, english, khmer, ideas = session_with_ideas
    ready(organizer, event)
    for lang, message in (
        ("en", "Please choose whether to mail it or not."),
        ("km", "សូមជ្រើសរើសថាត្រូវផ្ញើតាមអ៊ីមែលឬអត់។"),
    ):
        response = organizer.post(
            plan_url(event, "/publish") + f"?lang={lang}",
            data={"publish-mail": "maybe", "confirm": "yes"},
        )
        assert response.status_code == 422
        field = response.text.split('class="field publish-choice has-error"')[1].split(
            "</fieldset>"
        )[0]
        assert message in field
    assert counts() == (0, 0)


def test_the_old_setting_is_gone_from_the_plan(app):
    from app.models import Plan

    assert "send_on_publish" not in Plan.__table__.columns
    assert "plan_admin.save_settings" not in app.view_functions

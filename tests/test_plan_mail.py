"""Sending the Plan of Action through the outbox and a real SMTP server: each registrant in
their language, authors told which item grew from their idea, a new version only on request."""

import pytest
import sqlalchemy as sa
from plan_helpers import PUBLISH_AND_MAIL, PUBLISH_QUIETLY, make_idea, make_registration
from world import CONCLUDED, make_event

from app.extensions import db
from app.mail.worker import run_once
from app.models import OutboxMessage, Plan


@pytest.fixture
def client(mail_app):
    return mail_app.test_client()


@pytest.fixture
def organizer(client, mail_app):
    from support import Auth, create_user

    create_user("organizer@example.org", "admin")
    Auth(client).login("organizer@example.org")
    return client


def plan_url(event, rest=""):
    return f"/admin/events/{event.id}/plan{rest}"


def the_plan(event):
    db.session.expire_all()
    return db.session.scalar(sa.select(Plan).where(Plan.event_id == event.id))


def write_plan(client, event):
    client.post(
        plan_url(event, "/intro"),
        data={
            "intro-intro_en": "This plan gathers **what we agreed**.",
            "intro-intro_km": "ផែនការនេះប្រមូលផ្តុំអ្វីដែលយើងបានឯកភាព។",
        },
    )
    for section in the_plan(event).sections:
        client.post(
            plan_url(event, f"/sections/{section.id}"),
            data={
                f"section-{section.id}-title_en": f"Section about {section.title['en']}",
                f"section-{section.id}-title_km": f"ផ្នែក {section.title['km']}",
            },
        )
        for item in section.items:
            key = f"item-{item.id}"
            client.post(
                plan_url(event, f"/items/{item.id}"),
                data={
                    f"{key}-what_en": f"Action from: {next(iter(item.what.values()), 'new')}",
                    f"{key}-what_km": f"សកម្មភាពលេខ {item.id}",
                    f"{key}-who_en": "The coalition",
                    f"{key}-who_km": "សម្ព័ន្ធ",
                    f"{key}-due": "June 2024",
                    f"{key}-status": "agreed",
                },
            )


@pytest.fixture
def session_with_ideas(mail_app):
    event = make_event(CONCLUDED)
    english = make_registration(event, "reader@example.org", language="en", name="Dara")
    khmer = make_registration(event, "khmer@example.org", language="km", name="សុខា")
    make_registration(event, "unconfirmed@example.org", status="unconfirmed")
    make_registration(event, "cancelled@example.org", status="cancelled")
    rights = event.themes[0]
    ideas = {
        "by_registrant": make_idea(
            event, "ដោះលែងអ្នកទោសនយោបាយ", status="discussed", theme=rights,
            registration=khmer, language="km",
        ),
        "by_visitor": make_idea(
            event, "Protect exiled journalists", status="approved", theme=event.themes[1],
            author_email="visitor@example.org",
        ),
    }  # fmt: skip
    return event, english, khmer, ideas


def test_each_registrant_gets_the_plan_in_their_language_and_authors_their_item(
    organizer, session_with_ideas, smtp
):
    event, english, khmer, ideas = session_with_ideas
    organizer.post(plan_url(event, "/draft-from-ideas"))
    write_plan(organizer, event)
    # Publish with "send" ticked; a second click on "send" queues nothing again.
    response = organizer.post(plan_url(event, "/publish"), data=PUBLISH_AND_MAIL)
    assert response.status_code == 302
    organizer.post(plan_url(event, "/versions/1/send"))
    stats = run_once()
    assert stats.sent == 4 and stats.failed == 0

    recipients = sorted(address for m in smtp.messages for address in [m["To"]])
    assert recipients == [
        "khmer@example.org",
        "khmer@example.org",  # the plan, and the note that her idea is in it
        "reader@example.org",
        "visitor@example.org",
    ]
    [plan_en] = smtp.to("reader@example.org")
    assert plan_en["Content-Language"] == "en"
    text, html = smtp.text(plan_en), smtp.html(plan_en)
    assert "This plan gathers what we agreed." in text and "**" not in text  # readable text
    assert "<strong>what we agreed</strong>" in html
    assert "Action from: ដោះលែងអ្នកទោសនយោបាយ" in text  # the English text, from a Khmer idea
    assert "The coalition" in text and "June 2024" in text
    permalink = "http://sala.test/s/plan-test/plan/v1"
    assert permalink in text and permalink in html
    assert "សកម្មភាពលេខ" not in text

    khmer_mails = smtp.to("khmer@example.org")
    [plan_km] = [m for m in khmer_mails if "ផែនការនេះ" in smtp.text(m)]
    assert plan_km["Content-Language"] == "km"
    assert "ផែនការនេះប្រមូលផ្តុំអ្វីដែលយើងបានឯកភាព។" in smtp.text(plan_km)
    assert '<html lang="km">' in smtp.html(plan_km)
    assert "សម្ព័ន្ធ" in smtp.text(plan_km) and "The coalition" not in smtp.text(plan_km)
    assert "This plan gathers" not in smtp.text(plan_km)

    [author_km] = [m for m in khmer_mails if m is not plan_km]
    assert author_km["Content-Language"] == "km"
    item_id = the_plan(event).sections[0].items[0].id
    assert f"សកម្មភាពលេខ {item_id}" in smtp.text(author_km)
    assert f"/s/plan-test/plan/v1#item-{item_id}" in smtp.text(author_km)
    [author_en] = smtp.to("visitor@example.org")
    assert "Protect exiled journalists" in author_en["Subject"]
    assert "Action from: Protect exiled journalists" in smtp.text(author_en)

    page = organizer.get(plan_url(event)).get_data(as_text=True)
    assert "2 sent, 0 waiting, 0 failed" in page  # registrants
    assert page.count("2 sent, 0 waiting, 0 failed") == 2  # and authors


def test_a_first_version_not_sent_on_publish_is_sent_with_the_button(
    organizer, session_with_ideas, smtp
):
    event, english, khmer, ideas = session_with_ideas
    organizer.post(plan_url(event, "/draft-from-ideas"))
    write_plan(organizer, event)
    organizer.post(plan_url(event, "/publish"), data=PUBLISH_QUIETLY)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
    organizer.post(plan_url(event, "/versions/1/send"))
    assert run_once().sent == 4


def test_a_new_version_mails_only_a_short_note_and_only_when_asked(
    organizer, session_with_ideas, smtp
):
    event, english, khmer, ideas = session_with_ideas
    organizer.post(plan_url(event, "/draft-from-ideas"))
    write_plan(organizer, event)
    organizer.post(plan_url(event, "/publish"), data=PUBLISH_AND_MAIL)
    run_once()
    smtp.messages.clear()

    # Version 2 without asking: nothing is mailed.
    section = the_plan(event).sections[0]
    organizer.post(plan_url(event, f"/sections/{section.id}/items"))
    write_plan(organizer, event)
    organizer.post(
        plan_url(event, "/publish"), data={"publish-note_en": "One more item.", **PUBLISH_QUIETLY}
    )
    assert run_once().sent == 0 and smtp.messages == []

    # Version 3, asked for: a short note, in each language, with what changed.
    item = the_plan(event).sections[1].items[0]
    key = f"item-{item.id}"
    organizer.post(
        plan_url(event, f"/items/{item.id}"),
        data={f"{key}-what_en": "Reworded", f"{key}-what_km": "កែពាក្យ", f"{key}-status": "done"},
    )
    organizer.post(
        plan_url(event, "/publish"),
        data={
            "publish-note_en": "The media item is done.",
            "publish-note_km": "ចំណុចអំពីសារព័ត៌មានបានបញ្ចប់។",
            **PUBLISH_AND_MAIL,
        },
    )
    assert run_once().sent == 2
    [note_en] = smtp.to("reader@example.org")
    assert "version 3" in note_en["Subject"]
    text = smtp.text(note_en)
    assert "The media item is done." in text and "1 action item changed" in text
    assert "Reworded" not in text  # a note, not the whole plan again
    assert "http://sala.test/s/plan-test/plan/v3" in text
    [note_km] = smtp.to("khmer@example.org")
    assert note_km["Content-Language"] == "km"
    assert "ចំណុចអំពីសារព័ត៌មានបានបញ្ចប់។" in smtp.text(note_km)

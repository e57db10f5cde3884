"""Changes of plan reach everyone (issue 16 §3): a published session moved to another time
is saved only after the organizer has seen the mail and how many get it; then every
registrant and waitlisted person is mailed in their language, old → new, with the calendar
entry under the same UID and a higher SEQUENCE; reminders follow the new time. A cancelled
session tells everyone with a calendar file that removes it, closes registration, and its
pages (session, ideas, plan) say so. Mails are read as received over real SMTP."""

import re
from datetime import datetime, timedelta
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from plan_helpers import make_registration
from support import Auth, create_user
from world import PUBLISHED, make_event

from app.extensions import db
from app.mail.worker import run_once
from app.models import Event, OutboxMessage, Registration, utcnow
from app.registration import domain
from app.registration.ics import build_ics

TITLE_KM = PUBLISHED["texts"]["km"]["title"]


@pytest.fixture
def organizer(mail_app):
    client = mail_app.test_client()
    create_user("organizer@example.org", "admin")
    Auth(client).login("organizer@example.org")
    return client


class FormReader(HTMLParser):
    """The fields of the session form as a browser would post them."""

    def __init__(self):
        super().__init__()
        self.data, self._textarea, self._select = {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button"):
            if attrs.get("type") == "checkbox":
                if "checked" in attrs:
                    self.data[name] = attrs.get("value", "y")
            else:
                self.data[name] = attrs.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.data[self._select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data


def edit_form(client, event):
    reader = FormReader()
    reader.feed(client.get(f"/admin/events/{event.id}/edit").text)
    return reader.data


def people(event, smtp):
    """Confirmed (joined already), waitlisted in Khmer, stopped bulk mail in French; an
    unconfirmed and a cancelled address, who get nothing."""
    dara = make_registration(event, "dara@example.org", name="Dara")
    dara.join_details_sent_at = utcnow()
    make_registration(event, "sokha@example.org", language="km", status="waitlisted", name="")
    stopped = make_registration(event, "claire@example.org", language="fr", name="Claire")
    stopped.bulk_mail_stopped_at = utcnow()
    make_registration(event, "never@example.org", status="unconfirmed")
    make_registration(event, "gone@example.org", status="cancelled")
    db.session.commit()
    run_once()  # what the worker's sweep owes them already (Claire's join details)
    smtp.messages.clear()


def calendar_of(message):
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    return part.get_content().replace("\r\n ", "")


def field(calendar, name):
    return re.search(rf"^{name}[;:](.*)$", calendar, re.M).group(1).strip()


def test_moving_a_session_previews_the_mail_then_tells_everyone_in_their_language(organizer, smtp):
    event = make_event(starts_in=timedelta(days=10), duration_minutes=120)
    people(event, smtp)
    old_start = event.starts_at
    uid = field(build_ics(event, "en").decode().replace("\r\n ", ""), "UID")
    data = edit_form(organizer, event)
    shown = datetime.strptime(data["starts_at"], "%Y-%m-%dT%H:%M")  # in Phnom Penh time
    new_local = (shown + timedelta(days=2, hours=3)).strftime("%Y-%m-%dT%H:%M")
    data.update(starts_at=new_local, duration_minutes="90")

    # First the preview: nothing saved, nothing queued; the mail and the count shown.
    first = organizer.post(f"/admin/events/{event.id}/edit", data=data)
    assert first.status_code == 200
    page = first.text
    assert "Check the mail before saving" in page
    assert "3 people registered or on the waitlist receive this mail" in page
    assert "Save and mail 3 people" in page
    assert "New date and time: Planning session" in page
    assert "Before:" in page and "(120 minutes)" in page and "(90 minutes)" in page
    db.session.expire_all()
    assert db.session.get(Event, event.id).starts_at == old_start
    assert run_once().sent == 0 and smtp.messages == []

    # Saved with the preview's key: the new time, and a mail to each of the three.
    key = re.search(r'name="moving" value="([^"]+)"', page).group(1)
    saved = organizer.post(f"/admin/events/{event.id}/edit", data={**data, "moving": key})
    assert saved.status_code == 302
    db.session.expire_all()
    moved = db.session.get(Event, event.id)
    assert moved.starts_at == old_start.replace(second=0) + timedelta(days=2, hours=3)
    assert moved.ics_sequence == 1
    run_once()
    assert sorted(m["To"] for m in smtp.messages) == [
        "claire@example.org",
        "dara@example.org",
        "sokha@example.org",
    ]
    [dara] = smtp.to("dara@example.org")
    text = smtp.text(dara)
    assert dara["Subject"] == "New date and time: Planning session"
    assert "Phnom Penh time" in text and "Paris time" in text and "New York time" in text
    assert "Before:" in text and "Now:" in text
    assert "Your registration stays as it is" in text
    assert "List-Unsubscribe" not in dara  # a mail about their registration, not bulk

    calendar = calendar_of(dara)
    assert field(calendar, "UID") == uid
    assert field(calendar, "SEQUENCE") == "1"
    assert field(calendar, "LAST-MODIFIED").endswith("Z")
    assert field(calendar, "METHOD") == "PUBLISH"
    vevent = calendar.split("BEGIN:VEVENT")[1]
    local = moved.starts_at + timedelta(hours=7)  # Phnom Penh
    assert field(vevent, "DTSTART") == f"TZID=Asia/Phnom_Penh:{local:%Y%m%dT%H%M%S}"
    assert "zoom.example.invalid" in calendar  # their join details stay in their calendar

    [sokha] = smtp.to("sokha@example.org")
    assert TITLE_KM in sokha["Subject"] and "New date" not in sokha["Subject"]
    km_text = smtp.text(sokha)
    assert "ម៉ោងភ្នំពេញ" in km_text and "Before:" not in km_text
    assert "zoom.example.invalid" not in calendar_of(sokha)  # waitlisted: no join details
    [claire] = smtp.to("claire@example.org")
    assert "Nouvelle date" in claire["Subject"]

    # Saving again without another change tells nobody again.
    again = organizer.post(f"/admin/events/{event.id}/edit", data={**data, "moving": key})
    assert again.status_code == 302
    assert run_once().sent == 0


def test_a_preview_for_another_time_is_not_taken_as_consent(organizer, smtp):
    event = make_event()
    make_registration(event, "dara@example.org")
    data = edit_form(organizer, event)
    start = event.starts_at + timedelta(hours=8)
    data.update(starts_at=start.strftime("%Y-%m-%dT%H:%M"))
    page = organizer.post(f"/admin/events/{event.id}/edit", data=data).text
    key = re.search(r'name="moving" value="([^"]+)"', page).group(1)
    # The organizer changes the time again below the preview: a new preview, not a save.
    later = (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    second = organizer.post(
        f"/admin/events/{event.id}/edit", data={**data, "starts_at": later, "moving": key}
    )
    assert second.status_code == 200 and "Check the mail before saving" in second.text
    db.session.expire_all()
    assert db.session.get(Event, event.id).ics_sequence == 0


def test_a_draft_moves_without_preview_or_mail(organizer, smtp):
    event = make_event(state="draft")
    data = edit_form(organizer, event)
    data.update(duration_minutes="60")
    assert organizer.post(f"/admin/events/{event.id}/edit", data=data).status_code == 302
    assert db.session.get(Event, event.id).duration_minutes == 60
    assert run_once().sent == 0


def test_reminders_follow_the_new_time_and_never_the_old_one(app):
    event = make_event(starts_in=timedelta(hours=20), reminder_1h=False)
    registration = make_registration(event, "dara@example.org")
    registration.confirmed_at = utcnow() - timedelta(days=3)
    registration.join_details_sent_at = registration.confirmed_at
    db.session.commit()
    assert domain.release_due() == 1  # the 24-hour reminder for the old time, queued
    db.session.commit()

    from app.events import Schedule
    from app.sessions.changes import reschedule

    old = Schedule.of(event)
    event.starts_at = event.starts_at + timedelta(days=3)
    reschedule(event, old, None)
    db.session.commit()
    reminders = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.kind == "registration_reminder")
    ).all()
    assert [m.status for m in reminders] == ["cancelled"]  # the old one is never sent
    assert domain.release_due() == 0  # not due yet for the new time
    db.session.commit()
    assert domain.release_due(now=event.starts_at - timedelta(hours=23)) == 1
    db.session.commit()
    new = db.session.scalar(
        sa.select(OutboxMessage).where(
            OutboxMessage.kind == "registration_reminder", OutboxMessage.status == "queued"
        )
    )
    assert event.starts_at.strftime("%Y%m%d%H%M") in new.idempotency_key


def test_cancelling_asks_first_tells_everyone_and_the_pages_say_so(organizer, smtp, mail_app):
    client = mail_app.test_client()  # a visitor
    event = make_event(ideas_open_in=timedelta(days=-1))
    people(event, smtp)
    registration = db.session.scalar(
        sa.select(Registration).where(Registration.email == "dara@example.org")
    )
    registration.confirmed_at = utcnow() - timedelta(days=1)
    db.session.commit()

    first = organizer.post(f"/admin/events/{event.id}/state", data={"state": "cancelled"})
    assert first.status_code == 200
    assert "3 people registered or on the waitlist receive this mail" in first.text
    assert "Cancelled: Planning session" in first.text
    assert db.session.get(Event, event.id).state == "published"

    done = organizer.post(
        f"/admin/events/{event.id}/state", data={"state": "cancelled", "confirm": "yes"}
    )
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, event.id).state == "cancelled"
    run_once()
    assert len(smtp.messages) == 3
    [dara] = smtp.to("dara@example.org")
    assert dara["Subject"] == "Cancelled: Planning session"
    assert "has been cancelled. It will not take place." in smtp.text(dara)
    calendar = calendar_of(dara)
    assert field(calendar, "METHOD") == "CANCEL"
    assert field(calendar, "STATUS") == "CANCELLED"
    assert field(calendar, "SEQUENCE") == "1"
    assert "method=CANCEL" in str([p["Content-Type"] for p in dara.iter_attachments()]).replace(
        " ", ""
    ).replace('"', "")
    [sokha] = smtp.to("sokha@example.org")
    assert TITLE_KM in sokha["Subject"] and "Cancelled" not in sokha["Subject"]

    # The public pages stay and say so; registration and ideas are closed.
    page = client.get("/s/planning")
    assert page.status_code == 200
    assert "This session has been cancelled." in page.text
    assert 'action="/s/planning/register"' not in page.text
    assert "Time left until the start" not in page.text
    assert "This session was cancelled: it no longer takes ideas." in page.text
    km = client.get("/s/planning?lang=km").text
    assert "កិច្ចប្រជុំនេះត្រូវបានលុបចោល។" in km and TITLE_KM in km
    assert "កិច្ចប្រជុំនេះត្រូវបានលុបចោល។" in client.get("/s/planning/ideas").text
    assert "This session has been cancelled." in client.get("/s/planning/ideas?lang=en").text
    plan = client.get("/s/planning/plan")
    assert "This session has been cancelled." in plan.text
    assert "not published yet" not in plan.text
    assert "Planning session" not in client.get("/").text  # no longer offered on the home page
    register = client.post(
        "/s/planning/register",
        data={"email": "late@example.org", "name": "Late", "language": "en", "consent": "y"},
    )
    assert register.status_code in (200, 302, 409)
    assert (
        db.session.scalar(sa.select(Registration).where(Registration.email == "late@example.org"))
        is None
    )

    # Undo: back to a draft, which the organizer checks before publishing it again.
    undo = organizer.post(f"/admin/events/{event.id}/state", data={"state": "draft"})
    assert undo.status_code == 302
    assert db.session.get(Event, event.id).state == "draft"
    assert client.get("/s/planning").status_code == 404


def test_cancelling_drops_reminders_and_join_details_still_waiting(app):
    event = make_event(starts_in=timedelta(hours=20), reminder_1h=False)
    registration = make_registration(event, "dara@example.org")
    registration.confirmed_at = utcnow() - timedelta(days=3)
    db.session.commit()
    domain.release_due()
    db.session.commit()
    queued = sa.select(OutboxMessage.kind).where(OutboxMessage.status == "queued")
    assert sorted(db.session.scalars(queued)) == ["registration_join", "registration_reminder"]

    from app.sessions.changes import cancel_event

    cancel_event(event)
    db.session.commit()
    assert list(db.session.scalars(queued)) == []
    assert domain.release_due() == 0

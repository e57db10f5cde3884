"""Join details on demand (issue 16 §4): the organizer sends them to everyone confirmed now,
the registrant's personal page shows their own, and one reminder to confirm. Mail goes over
real SMTP."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from registration_helpers import SmtpSink, deliver, form, links, mails_to, path_of, smtp_config
from support import Auth, create_user
from world import make_event

from app.extensions import db
from app.models import AuditEntry, Event, Registration, utcnow

DIAL_IN = "+855 23 000 000, meeting ID 123 456"


@pytest.fixture
def mail_app(make_app, smtp):
    app = make_app(**smtp_config(smtp))
    with app.app_context():
        yield app


@pytest.fixture
def client(mail_app):
    return mail_app.test_client()


def later_release(**columns):
    """Ten days ahead; join details 24 hours before the start (not yet released)."""
    return make_event(join_release="before_start", join_release_hours=24, **columns)


def register(client, email, language="en", name="Dara"):
    answer = client.post(
        "/s/planning/register", data=form(email=email, language=language, name=name)
    )
    assert answer.status_code == 302
    deliver()


def register_and_confirm(client, smtp, email, language="en"):
    register(client, email, language)
    confirm = path_of(links(mails_to(smtp, email)[-1], "confirm")[0])
    client.post(confirm)
    deliver()


def join_mails(smtp, address):
    return [m for m in smtp.to(address) if m["Subject"].startswith("Join details")]


def manage_path(smtp, address):
    return path_of(links(smtp.to(address)[-1], "manage")[0])


def signed_in(mail_app):
    create_user("organizer@example.org", "admin")
    organizer = mail_app.test_client()
    Auth(organizer).login("organizer@example.org")
    return organizer


# ---------------------------------------------------------------- the organizer's button


def test_the_organizer_sends_the_join_details_now_once_each(mail_app, client, smtp):
    event = later_release(join_phone=DIAL_IN)
    register_and_confirm(client, smtp, "dara@example.org")
    register_and_confirm(client, smtp, "sophea@example.org", language="km")
    register(client, "pending@example.org")  # not confirmed: gets nothing
    assert join_mails(smtp, "dara@example.org") == []  # the rule says: a day before
    organizer = signed_in(mail_app)

    page = organizer.get(f"/admin/events/{event.id}").text
    assert "Send the join details to everyone confirmed now" in page
    assert "(2 people)" in page
    assert "0 registrants have had them." in page

    # The question: how many, and the mail each language gets (its link, passcode, dial-in).
    question = organizer.get(f"/admin/events/{event.id}/join-now").text
    assert "Send the join details now to the 2 confirmed registrants" in question
    assert "Yes, send them to 2 people" in question
    assert question.count('class="preview"') == 2  # English and Khmer
    assert "https://zoom.example.invalid/j/123456" in question and "shared-pass" in question
    assert DIAL_IN in question
    assert "Join details: Planning session" in question
    assert "pending@example.org" not in question
    assert join_mails(smtp, "dara@example.org") == []  # asking sends nothing

    # With htmx, only the section's block comes back, to replace it in place.
    fragment = organizer.get(f"/admin/events/{event.id}/join-now", headers={"HX-Request": "true"})
    assert "Yes, send them to 2 people" in fragment.text and "<html" not in fragment.text

    done = organizer.post(f"/admin/events/{event.id}/join-now", data={}, follow_redirects=True)
    assert "The join details are on their way to 2 registrants." in done.text
    deliver()
    [mail] = join_mails(smtp, "dara@example.org")
    text = SmtpSink.text(mail)
    assert "https://zoom.example.invalid/j/123456" in text and DIAL_IN in text
    assert len(smtp.to("sophea@example.org")) >= 3  # confirm, confirmed, join details (km)
    assert not [m for m in smtp.to("pending@example.org") if "123456" in SmtpSink.text(m)]
    audit = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "registration.release_join_now")
    )
    assert audit is not None and audit.detail["count"] == 2

    # Clicking again, and the worker's next rounds, send nobody the details twice.
    again = organizer.post(f"/admin/events/{event.id}/join-now", data={}, follow_redirects=True)
    assert "Everyone confirmed already has the join details: nothing was sent." in again.text
    deliver()
    deliver()
    assert len(join_mails(smtp, "dara@example.org")) == 1
    page = organizer.get(f"/admin/events/{event.id}").text
    assert "2 registrants have had them." in page
    assert "No one confirmed is waiting for the join details." in page

    # Released now: whoever confirms from here on gets them at once, not a day before.
    register_and_confirm(client, smtp, "late@example.org")
    assert len(join_mails(smtp, "late@example.org")) == 1


def test_a_large_session_gets_the_rest_from_the_worker_once_each(
    mail_app, client, smtp, monkeypatch
):
    from app.registration import join_now_admin

    monkeypatch.setattr(join_now_admin, "IN_REQUEST", 1)  # one in the request, one later
    event = later_release()
    register_and_confirm(client, smtp, "dara@example.org")
    register_and_confirm(client, smtp, "sophea@example.org")
    organizer = signed_in(mail_app)
    done = organizer.post(f"/admin/events/{event.id}/join-now", data={}, follow_redirects=True)
    assert "The join details are on their way to 1 registrant." in done.text
    assert "1 more will get them within minutes" in done.text
    deliver()
    deliver()
    assert len(join_mails(smtp, "dara@example.org")) == 1
    assert len(join_mails(smtp, "sophea@example.org")) == 1


def test_the_button_refuses_a_session_without_a_join_link(mail_app, client, smtp):
    event = later_release(join_url="")
    register_and_confirm(client, smtp, "dara@example.org")
    organizer = signed_in(mail_app)
    page = organizer.get(f"/admin/events/{event.id}").text
    assert "The session has no join link yet" in page
    assert "Send the join details to everyone confirmed now" not in page
    answer = organizer.post(f"/admin/events/{event.id}/join-now", data={}, follow_redirects=True)
    assert "The session has no join link yet" in answer.text
    deliver()
    assert join_mails(smtp, "dara@example.org") == []
    assert db.session.get(Event, event.id).join_released_at is None


# ---------------------------------------------------------------- the personal page


def test_the_personal_page_shows_the_own_join_details_once_released(mail_app, client, smtp):
    event = later_release(join_phone=DIAL_IN)
    register_and_confirm(client, smtp, "dara@example.org")
    manage = manage_path(smtp, "dara@example.org")

    before = client.get(manage).text
    assert "We will email you the join details on" in before
    assert "They will also be on this page from then." in before
    assert "123456" not in before and "shared-pass" not in before and DIAL_IN not in before
    calendar = client.get(f"{manage}/calendar.ics")
    assert calendar.mimetype == "text/calendar" and "123456" not in calendar.text

    # The release time comes (the worker sends them); the page has them too, mail or not.
    db.session.get(Event, event.id).starts_at = utcnow() + timedelta(hours=20)
    db.session.commit()
    deliver()
    after = client.get(manage).text
    assert 'href="https://zoom.example.invalid/j/123456"' in after
    assert "shared-pass" in after and DIAL_IN in after
    assert "We emailed you the join details on" in after
    calendar = client.get(f"{manage}/calendar.ics")
    assert calendar.status_code == 200 and calendar.mimetype == "text/calendar"
    body = calendar.text.replace("\r\n ", "")
    assert "LOCATION:https://zoom.example.invalid/j/123456" in body
    assert "shared-pass" in body and "+855 23 000 000" in body
    assert calendar.headers["Cache-Control"] == "no-store"  # a personal file


def test_the_personal_page_in_khmer(mail_app, client, smtp):
    make_event(join_phone=DIAL_IN)  # on confirmation: released at once
    register_and_confirm(client, smtp, "sophea@example.org", language="km")
    page = client.get(manage_path(smtp, "sophea@example.org")).text
    assert '<html lang="km">' in page
    assert "shared-pass" in page and DIAL_IN in page
    assert "ចូលរួមកិច្ចប្រជុំ" in page or "ចូលរួម" in page


def test_an_unconfirmed_registrant_sees_no_join_details(mail_app, client, smtp):
    make_event()
    register(client, "dara@example.org")
    registration = db.session.scalar(sa.select(Registration))
    from app.registration import domain

    raw = domain.manage_token(registration)
    db.session.commit()
    page = client.get(f"/r/manage/{raw}").text
    assert "123456" not in page and "shared-pass" not in page
    calendar = client.get(f"/r/manage/{raw}/calendar.ics").text
    assert "123456" not in calendar


# ---------------------------------------------------------------- a reminder to confirm


def age(email, hours):
    registration = db.session.scalar(sa.select(Registration).where(Registration.email_key == email))
    registration.consented_at = utcnow() - timedelta(hours=hours)
    db.session.commit()
    return registration


def reminders(smtp, address):
    return [m for m in smtp.to(address) if m["Subject"].startswith("Reminder: confirm")]


def test_one_reminder_to_confirm_a_day_later_with_nothing_anyone_typed(mail_app, client, smtp):
    make_event()
    stranger_text = "Visit http://spam.example now"
    client.post(
        "/s/planning/register",
        data=form(email="dara@example.org", name=stranger_text, affiliation=stranger_text),
    )
    register_and_confirm(client, smtp, "sophea@example.org")
    deliver()
    age("dara@example.org", 23)
    deliver()
    assert reminders(smtp, "dara@example.org") == []  # not a day yet

    age("dara@example.org", 25)
    age("sophea@example.org", 25)
    deliver()
    [reminder] = reminders(smtp, "dara@example.org")
    assert reminders(smtp, "sophea@example.org") == []  # confirmed: nothing to remind
    text, html = SmtpSink.text(reminder), SmtpSink.html(reminder)
    assert "spam.example" not in text and "spam.example" not in html
    assert "Planning session" in text and "This is the only reminder we send." in text

    # Its fresh link confirms; and no second reminder ever comes.
    deliver()
    assert len(reminders(smtp, "dara@example.org")) == 1
    client.post(path_of(links(reminder, "confirm")[0]))
    registration = db.session.scalar(
        sa.select(Registration).where(Registration.email_key == "dara@example.org")
    )
    db.session.refresh(registration)
    assert registration.status == "confirmed"


def test_no_reminder_to_confirm_once_the_session_started(mail_app, client, smtp):
    event = make_event()
    register(client, "dara@example.org")
    age("dara@example.org", 30)
    event = db.session.get(Event, event.id)
    event.starts_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    deliver()
    assert reminders(smtp, "dara@example.org") == []


def test_no_reminder_to_confirm_when_the_setting_is_zero(make_app, smtp):
    app = make_app(**smtp_config(smtp), CONFIRM_REMINDER_HOURS=0)
    with app.app_context():
        make_event()
        register(app.test_client(), "dara@example.org")
        age("dara@example.org", 30)
        deliver()
        assert reminders(smtp, "dara@example.org") == []

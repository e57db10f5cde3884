"""The follow-up after the session (issue 17 §3): written per language, previewed, then
sent as a mail-out over real SMTP; with attendance known, those who attended and those who
did not each get their own text; the recording, the material and the published plan are
linked; bad input is answered next to its field."""

import pytest
from plan_helpers import make_registration
from support import Auth, create_user
from test_bulk_mail import one_click_path, ready_plan
from world import CONCLUDED, make_event

from app.extensions import db
from app.mail.worker import run_once
from app.plan import service as plan_service
from app.plugins import hookimpl, plugin_state


class AttendanceRecorded:
    @hookimpl
    def sala_attendance_known(self, event):
        return True


@pytest.fixture
def organizer(mail_app):
    client = mail_app.test_client()
    create_user("organizer@example.org", "admin")
    Auth(client).login("organizer@example.org")
    return client


def session_with_attendance():
    event = make_event(CONCLUDED)
    attended = make_registration(event, "came@example.org", name="Dara")
    attended.attended = True
    make_registration(event, "missed@example.org", language="km", name="សុខា")
    make_registration(event, "waiting@example.org", status="waitlisted")
    make_registration(event, "never@example.org", status="unconfirmed")
    db.session.commit()
    return event


FORM = {
    "audience": "split",
    "recording_url": "https://video.example.org/recording",
    "links": "Slides https://example.org/slides.pdf\nhttps://example.org/minutes",
    "subject_all_en": "Thank you for joining",
    "body_all_en": "Thank you for taking part.",
    "subject_absent_en": "Sorry we missed you",
    "body_absent_en": "Here is what you missed.",
    "subject_absent_km": "យើងនឹកអ្នក",
    "body_absent_km": "នេះជាអ្វីដែលអ្នកខកខាន។",
}


def test_attendees_and_absentees_each_get_their_own_text(mail_app, organizer, smtp):
    plugin_state(mail_app).manager.register(AttendanceRecorded())
    event = session_with_attendance()
    plan_service.publish(ready_plan(event), send=False)
    db.session.commit()
    url = f"/admin/events/{event.id}/follow-up?lang=en"

    preview = organizer.post(url, data={**FORM, "action": "preview"})
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "To those who attended (1)" in page
    assert "To those who registered but did not attend (2)" in page
    assert "នេះជាអ្វីដែលអ្នកខកខាន។" in page
    previewed = page.split('name="previewed" value="')[1].split('"')[0]

    # Texts changed after the preview are not sent: it is previewed again.
    changed = organizer.post(
        url, data={**FORM, "body_all_en": "Changed.", "action": "send", "previewed": previewed}
    )
    assert changed.status_code == 200 and run_once().sent == 0

    sent = organizer.post(url, data={**FORM, "action": "send", "previewed": previewed})
    assert sent.status_code == 302
    assert run_once().sent == 3
    [came] = smtp.to("came@example.org")
    [missed] = smtp.to("missed@example.org")
    [waiting] = smtp.to("waiting@example.org")
    assert smtp.to("never@example.org") == []
    assert came["Subject"] == "Thank you for joining"
    assert missed["Subject"] == "យើងនឹកអ្នក" and missed["Content-Language"] == "km"
    assert waiting["Subject"] == "Sorry we missed you"
    text = smtp.text(came)
    assert "Thank you for taking part." in text
    assert "https://video.example.org/recording" in text
    assert "Slides: https://example.org/slides.pdf" in text
    assert "- https://example.org/minutes" in text
    assert "http://sala.test/s/plan-test/plan" in text  # the plan, published
    html = smtp.html(came)
    assert '<a href="https://example.org/slides.pdf" style="color:#8a1c1c;">Slides</a>' in html
    assert "Here is what you missed." not in text
    assert "នេះជាអ្វីដែលអ្នកខកខាន។" in smtp.text(missed)
    for message in (came, missed, waiting):
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert one_click_path(message).startswith("/u/")


def test_without_attendance_one_text_goes_to_everyone(organizer, smtp):
    event = session_with_attendance()
    url = f"/admin/events/{event.id}/follow-up?lang=en"
    page = organizer.get(url).get_data(as_text=True)
    assert "Attendance is not recorded for this session" in page
    assert "The Plan of Action is not published yet" in page
    preview = organizer.post(url, data={**FORM, "action": "preview"}).get_data(as_text=True)
    previewed = preview.split('name="previewed" value="')[1].split('"')[0]
    organizer.post(url, data={**FORM, "action": "send", "previewed": previewed})
    assert run_once().sent == 3
    assert {m["Subject"] for m in smtp.messages} == {"Thank you for joining"}
    assert "/plan" not in smtp.text(smtp.messages[0])  # no plan published yet


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("recording_url", "javascript:alert(1)", "Please give a web address"),
        ("links", "Slides on the shared drive", "This line has no web address at its end"),
        ("subject_all_en", "", "at least in the session&#39;s default language"),
    ],
)
def test_bad_input_is_answered_next_to_the_field(organizer, field, value, message):
    event = session_with_attendance()
    response = organizer.post(
        f"/admin/events/{event.id}/follow-up?lang=en",
        data={**FORM, field: value, "action": "preview"},
    )
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert 'name="previewed"' not in response.get_data(as_text=True)

"""The follow-up after the session (issue 17 §3): written per language, previewed, then
sent as a mail-out over real SMTP; with attendance known, those who attended and those who
did not each get their own text; the recording, the material and the published plan are
linked; bad input is answered next to its field."""

from datetime import timedelta

import pytest
from plan_helpers import make_registration
from support import Auth, create_user
from test_bulk_mail import one_click_path, ready_plan
from world import CONCLUDED, make_event

from app.extensions import db
from app.feedback import service as feedback
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


def session_with_attendance(**columns):
    event = make_event(CONCLUDED, **columns)
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
    summary = response.text.split('class="error-summary"')[1].split("</div>")[0]
    assert "Please check what you entered:" in summary
    assert f'<a href="#{field}">' in summary


FEEDBACK_LINE = "Tell us what you thought of the session, in a short form:"
FEEDBACK_LINE_KM = "សូមប្រាប់យើងពីអ្វីដែលអ្នកគិតអំពីកិច្ចប្រជុំនេះ តាមរយៈទម្រង់ខ្លីមួយ៖"


def feedback_form(event, is_open):
    feedback.add_question(event, "rating", {"en": "Was it useful?", "km": "តើវាមានប្រយោជន៍ទេ?"}, [])
    feedback.set_survey(event, is_open=is_open, anonymous=True)
    db.session.commit()


def send_to_everyone(organizer, event):
    url = f"/admin/events/{event.id}/follow-up?lang=en"
    data = {
        **FORM,
        "audience": "everyone",
        "subject_all_km": "សូមអរគុណ",
        "body_all_km": "សូមអរគុណដែលបានចូលរួម។",
    }
    preview = organizer.post(url, data={**data, "action": "preview"}).get_data(as_text=True)
    previewed = preview.split('name="previewed" value="')[1].split('"')[0]
    sent = organizer.post(url, data={**data, "action": "send", "previewed": previewed})
    assert sent.status_code == 302
    return preview


def feedback_address(text):
    return next(word for word in text.split() if word.endswith("/feedback"))


def test_the_follow_up_links_each_registrants_own_feedback_form_when_open(
    mail_app, organizer, smtp
):
    # Last week's session: its personal links work until its personal data is purged.
    event = session_with_attendance(starts_in=-timedelta(days=7))
    feedback_form(event, is_open=True)
    preview = send_to_everyone(organizer, event)
    assert FEEDBACK_LINE in preview
    assert run_once().sent == 3
    [came] = smtp.to("came@example.org")
    [missed] = smtp.to("missed@example.org")
    assert FEEDBACK_LINE in smtp.text(came)
    assert FEEDBACK_LINE_KM in smtp.text(missed)  # in the registrant's language
    came_link, missed_link = feedback_address(smtp.text(came)), feedback_address(smtp.text(missed))
    assert came_link != missed_link
    assert f'href="{came_link}"' in smtp.html(came)
    visitor = mail_app.test_client()
    form = visitor.get(came_link.removeprefix("http://sala.test") + "?lang=en")
    assert form.status_code == 200 and "Was it useful?" in form.text
    form = visitor.get(missed_link.removeprefix("http://sala.test") + "?lang=km")
    assert "តើវាមានប្រយោជន៍ទេ?" in form.text
    # The "manage" link beside it still opens the personal page.
    manage = came_link.removesuffix("/feedback").removeprefix("http://sala.test")
    assert manage in smtp.text(came) and visitor.get(manage).status_code == 200


def test_the_follow_up_has_no_feedback_link_while_the_form_is_closed(organizer, smtp):
    event = session_with_attendance()
    feedback_form(event, is_open=False)
    assert FEEDBACK_LINE not in send_to_everyone(organizer, event)
    assert run_once().sent == 3
    for message in smtp.messages:
        assert "/feedback" not in smtp.text(message)
        assert FEEDBACK_LINE not in smtp.text(message)
        assert FEEDBACK_LINE_KM not in smtp.text(message)

"""Join details on demand with Zoom (issue 16 §4): after `sala zoom sync`, those who had
the shared link get one mail with their own; the pause after Zoom's 429 outlives a restarted
`sala worker --once`. Against the fake Zoom server; mail over real SMTP."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from registration_helpers import SmtpSink, smtp_config
from zoomhelpers import make_registration, zoom_event, zoom_state

from app.extensions import db
from app.mail import worker
from app.models import Registration, utcnow
from app.registration import domain
from plugins.zoom.models import ZoomTask


@pytest.fixture
def zoom_mail_app(make_app, zoom_config, smtp):
    app = make_app(**zoom_config, **smtp_config(smtp))
    with app.app_context():
        yield app


def cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def own_link_mails(smtp, address):
    return [m for m in smtp.to(address) if m["Subject"].startswith("Your own join link")]


def test_sync_sends_one_mail_with_the_own_link_to_those_who_had_the_shared_one(
    zoom_mail_app, fake_zoom, smtp
):
    meeting = fake_zoom.add_meeting()
    event = zoom_event(meeting)
    early = make_registration(event, "dara@example.org", "Dara Sok", zoom_status="pending")
    waiting = make_registration(event, "sophea@example.org", "Sophea", zoom_status="pending")
    db.session.commit()
    # Dara's personal link was not ready in time: the shared link went out.
    assert domain.release_join_details(early, now=utcnow() + timedelta(minutes=20)) is not None
    db.session.commit()
    worker.run_once()  # marks Dara's link too late (the organizer sees why); adds Sophea
    [shared] = smtp.to("dara@example.org")
    assert "https://zoom.example/j/shared" in SmtpSink.text(shared)
    assert zoom_state(early).status == "failed"

    result = cli(zoom_mail_app, "zoom", "sync", "cambodia-2023")
    assert result.exit_code == 0, result.output
    worker.run_once()
    db.session.refresh(early)
    own = zoom_state(early).join_url
    assert zoom_state(early).status == "synced" and own
    [mail] = own_link_mails(smtp, "dara@example.org")
    text = SmtpSink.text(mail)
    assert own in text and "instead of the shared link" in text
    assert "This link is yours alone" in text
    assert "https://zoom.example/j/shared" not in text
    ics = [p for p in mail.walk() if p.get_content_type() == "text/calendar"]
    assert ics and own in ics[0].get_payload(decode=True).decode().replace("\r\n ", "")

    # Sophea never had the shared link: her first join details carry her own, no extra mail.
    assert own_link_mails(smtp, "sophea@example.org") == []
    sophea_mails = [SmtpSink.text(m) for m in smtp.to("sophea@example.org")]
    assert any(zoom_state(waiting).join_url in t for t in sophea_mails)

    # Once: syncing again and the next rounds send nothing more.
    cli(zoom_mail_app, "zoom", "sync", "cambodia-2023")
    worker.run_once()
    worker.run_once()
    assert len(own_link_mails(smtp, "dara@example.org")) == 1


def test_the_pause_after_a_429_outlives_a_restarted_worker_once(make_app, zoom_config, fake_zoom):
    settings = {**zoom_config, "ZOOM_RETRY_MAX": 600, "ZOOM_RETRIES": 0, "ZOOM_MAX_INLINE_WAIT": 1}
    first = make_app(**settings)
    with first.app_context():
        event = zoom_event(fake_zoom.add_meeting())
        make_registration(event, "dara@example.org", "Dara", zoom_status="pending")
        db.session.commit()
        fake_zoom.fail("meetingRegistrantCreate", "429", retry_after="120")
        result = cli(first, "worker", "--once")
        assert result.exit_code == 0, result.output
        calls = len(fake_zoom.calls)
    # `sala worker --once` from cron a minute later: a new process, nothing in memory.
    second = make_app(**settings)
    with second.app_context():
        result = cli(second, "worker", "--once")
        assert result.exit_code == 0, result.output
        assert len(fake_zoom.calls) == calls  # Zoom is left alone until the pause ends
        pause = db.session.scalar(sa.select(ZoomTask).where(ZoomTask.kind == "pause"))
        assert pause.last_error == "rate_limited"
        assert timedelta(seconds=100) < pause.due_at - utcnow() <= timedelta(seconds=120)
        pause.due_at = utcnow()  # two minutes later
        db.session.commit()
        cli(second, "worker", "--once")
        registration = db.session.scalar(sa.select(Registration))
        assert zoom_state(registration).status == "synced"

"""Issue 18.9 (times): no raw strftime in anything a person reads. The registrants table,
the users table, the outbox page, the audit log, the command line's purge dates and the
mail worker's pause message write times with Babel, in the reader's language, and say the
zone: the session's own for a session's registrants, the site's (BABEL_DEFAULT_TIMEZONE,
UTC unless set) for the rest."""

import re
from datetime import datetime, timedelta

import pytest
from world import PUBLISHED, make_event

from app.extensions import db
from app.mail.worker import paused_text
from app.models import MailPause, OutboxMessage, Registration, utcnow
from app.registration import domain

# What strftime("%Y-%m-%d %H:%M") wrote: a machine's date, in no one's language.
MACHINE = re.compile(r"\b20\d\d-\d\d-\d\d \d\d:\d\d")
AT = datetime(2026, 11, 30, 13, 5)  # 20:05 in Phnom Penh


@pytest.fixture
def organizer(client, auth, admin_user):
    auth.login(admin_user.email)
    return client


def visible(html):
    """The page's text a person reads (not the machine-readable `datetime` attributes)."""
    return re.sub(r'datetime="[^"]*"', "", html)


def test_registrants_table_says_when_in_the_readers_language_and_the_sessions_zone(organizer):
    event = make_event(PUBLISHED)
    registration, _ = domain.register(event, email="dara@example.org", name="Dara", language="km")
    registration.created_at = AT
    db.session.commit()
    url = f"/admin/events/{event.id}/registrants"
    english = visible(organizer.get(url + "?lang=en").text)
    assert "Registered (Phnom Penh time)" in english
    assert "Nov 30, 2026, 8:05\u202fPM" in english
    khmer = visible(organizer.get(url + "?lang=km").text)
    assert "(ម៉ោងភ្នំពេញ)" in khmer
    assert "30 វិច្ឆិកា 2026, 8:05 នៅពេល\u200bល្ងាច" in khmer
    for page in (english, khmer):
        assert MACHINE.search(page) is None and "(UTC)" not in page


def test_users_outbox_and_audit_pages_say_the_sites_zone(organizer, admin_user, app):
    app.config["BABEL_DEFAULT_TIMEZONE"] = "Asia/Phnom_Penh"
    admin_user.last_login_at = AT
    db.session.add(
        OutboxMessage(
            recipient="dara@example.org",
            language="en",
            kind="test",
            subject="A test",
            body_text="Hello",
            body_html="<p>Hello</p>",
            status="sent",
            created_at=AT,
            sent_at=AT,
            idempotency_key="times-test",
        )
    )
    db.session.add(MailPause(id=1, since=AT, until=AT + timedelta(minutes=5), tries=1, reason="x"))
    db.session.commit()
    for path, header in (
        ("/admin/users", "Last sign-in (Phnom Penh time)"),
        ("/admin/outbox", "Queued (Phnom Penh time)"),
        ("/admin/audit", "When (Phnom Penh time)"),
    ):
        page = visible(organizer.get(path + "?lang=en").text)
        assert header in page, path
        assert MACHINE.search(page) is None and "UTC" not in page, path
        if path != "/admin/audit":
            assert "Nov 30, 2026, 8:05\u202fPM" in page, path
    outbox = visible(organizer.get("/admin/outbox?lang=km").text)
    assert "30 វិច្ឆិកា 2026, 8:10 នៅពេល\u200bល្ងាច (ម៉ោងភ្នំពេញ)" in outbox  # tries again at


def test_the_worker_and_the_purge_command_say_dates_in_words_with_their_zone(app, runner):
    with app.test_request_context("/?lang=en"):
        text = paused_text("refused", AT)
    assert "Sala tries again at Nov 30, 2026, 1:05\u202fPM (UTC time);" in text
    assert MACHINE.search(text) is None

    event = make_event(PUBLISHED, slug="kept-for-a-while", retention_days=30)
    event.state = "concluded"
    event.starts_at = utcnow() - timedelta(days=2, minutes=event.duration_minutes)
    db.session.add(Registration(event=event, email="a@example.org", email_key="a@example.org"))
    db.session.commit()
    until = event.ends_at + timedelta(days=30)
    refused = runner.invoke(args=["purge", event.slug, "--yes"])
    assert refused.exit_code != 0
    assert "personal data can be erased from" in refused.output
    assert "(Phnom Penh time)." in refused.output
    assert str(until.year) in refused.output and MACHINE.search(refused.output) is None
    warned = runner.invoke(args=["purge", event.slug, "--force"], input="n\n")
    assert "their data would be kept until" in warned.output
    assert "(Phnom Penh time)." in warned.output and MACHINE.search(warned.output) is None

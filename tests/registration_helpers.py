"""Helpers for the registration tests: a session, mail reading, links from mail."""

import re
from datetime import timedelta

from support import PASSWORD, ROOT, LiveServer, PageWatch, SmtpSink, create_user  # noqa: F401

from app.extensions import db
from app.mail.worker import run_once
from app.models import Event, utcnow

LINK = re.compile(r"(https?://\S+/r/(confirm|manage)/[A-Za-z0-9_\-]+)")


def make_event(slug="planning", **fields):
    now = utcnow().replace(microsecond=0)
    values = dict(
        slug=slug,
        state="published",
        default_language="en",
        starts_at=now + timedelta(days=10),
        duration_minutes=120,
        timezone="Asia/Phnom_Penh",
        extra_timezones=["Europe/Paris", "America/New_York"],
        registration_opens_at=now - timedelta(days=1),
        registration_closes_at=None,
        capacity=None,
        waitlist_enabled=True,
        join_release="on_confirmation",
        join_url="https://zoom.example.invalid/j/123456",
        join_passcode="shared-pass",
    )
    values.update(fields)
    event = Event(**values)
    event.set_text(
        "en",
        title="Planning session",
        summary="We plan together.\n\nSecond paragraph.",
        convener="Convened by the Commission",
        agenda="1. Welcome\n2. Ideas",
        speakers="Dr. Expert",
    )
    event.set_text("km", title="កិច្ចប្រជុំរៀបចំផែនការ", summary="យើងរៀបចំផែនការជាមួយគ្នា។")
    db.session.add(event)
    db.session.commit()
    return event


def form(email="dara@example.org", name="Dara", language="en", **extra):
    data = {"email": email, "name": name, "language": language, "consent": "y"}
    data.update(extra)
    return data


def deliver():
    """Run the worker once, as `sala worker --once` would."""
    return run_once()


def links(message, kind):
    return [url for url, k in LINK.findall(SmtpSink.text(message)) if k == kind]


def path_of(url):
    return "/" + url.split("/", 3)[3]


def mails_to(smtp, address, subject_part=""):
    return [m for m in smtp.to(address) if subject_part in m["Subject"]]


def smtp_config(smtp):
    return dict(
        EMAIL_PROVIDER="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
        MAIL_USE_TLS=False,
        MAIL_USE_SSL=False,
        MAIL_SUPPRESS_SEND=False,
    )

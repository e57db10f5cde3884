"""Helpers for the mail tests and bench/mail.py: a test-only mail template, a session, and
queuing many messages."""

from datetime import datetime
from pathlib import Path

from flask import Blueprint

from app.extensions import db
from app.mail.outbox import enqueue, mail_url
from app.models import Event

TEMPLATES = Path(__file__).resolve().parent / "templates"
KM_TITLE = "កម្ពុជាក្រោយការបោះឆ្នោត៖ កិច្ចប្រជុំសាកល្បង"


def add_test_templates(app):
    """Make tests/templates/mail/test_note.* loadable by the app (a template-only blueprint)."""
    if "test_mail_templates" not in app.blueprints:
        app.register_blueprint(
            Blueprint("test_mail_templates", __name__, template_folder=str(TEMPLATES))
        )


def make_event(slug="mail-test"):
    event = Event(
        slug=slug,
        state="published",
        starts_at=datetime(2023, 11, 1, 12, 0),  # 19:00 in Phnom Penh
        timezone="Asia/Phnom_Penh",
        default_language="en",
    )
    event.set_text("en", title="Mail test session")
    event.set_text("km", title=KM_TITLE)
    db.session.add(event)
    db.session.flush()
    return event


def queue_note(event, to, language="en", key=None, note="Hello", batch=""):
    return enqueue(
        "test_note",
        to=to,
        language=language,
        key=key or f"test-note:{to}",
        event=event,
        batch=batch,
        context={
            "note": note,
            "event_url": mail_url("public.event", slug=event.slug),
            "manage_url": mail_url("public.event", slug=event.slug, manage="1"),
        },
    )


def queue_many(event, count, prefix="person", batch=""):
    """`count` messages to prefix-N@example.org, committed."""
    for number in range(count):
        queue_note(event, f"{prefix}-{number}@example.org", batch=batch)
    db.session.commit()

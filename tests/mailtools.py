"""Helpers for the mail tests and bench/mail.py: a test-only mail template and queuing many
messages. (Their session: `make_event(MAIL_TEST)` from world.py.)"""

from pathlib import Path

from flask import Blueprint

from app.extensions import db
from app.mail.outbox import enqueue, mail_url

TEMPLATES = Path(__file__).resolve().parent / "templates"


def add_test_templates(app):
    """Make tests/templates/mail/test_note.* loadable by the app (a template-only blueprint)."""
    if "test_mail_templates" not in app.blueprints:
        app.register_blueprint(
            Blueprint("test_mail_templates", __name__, template_folder=str(TEMPLATES))
        )


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

"""The outbox: mail is rendered and stored in the transaction of the change that causes it,
and sent later by the worker (`sala worker`). No web request waits on a mail server."""

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale

from .extensions import db
from .models import OutboxMessage, utcnow


class TemporaryFailure(Exception):
    """The provider could not send now; try again later."""


class PermanentFailure(Exception):
    """The provider refused the message for good (a 5xx reply, a malformed address)."""


def mail_url(endpoint, **values):
    """An absolute URL for links in mail, built from BASE_URL: mail is rendered outside any
    request (the worker, the CLI), and its links must work wherever it is read."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)


def render_mail(template, language, **context):
    """(subject, text, html) of mail/<template>.{subject.txt,txt,html} in `language`."""
    with force_locale(language):
        context.setdefault("language", language)
        subject = render_template(f"mail/{template}.subject.txt", **context)
        text = render_template(f"mail/{template}.txt", **context)
        html = render_template(f"mail/{template}.html", **context)
    return " ".join(subject.split()), text, html


def enqueue(
    template,
    *,
    to,
    language,
    key,
    context=None,
    event=None,
    registration=None,
    due_at=None,
    batch="",
    attachments=None,
):
    """Render a mail and add it to the current transaction, once per idempotency `key`.

    The caller commits with the change that caused the mail; a rolled-back transaction
    leaves no message. Returns the message (the existing one if `key` was queued before).
    """
    existing = db.session.scalar(
        sa.select(OutboxMessage).where(OutboxMessage.idempotency_key == key)
    )
    if existing is not None:
        return existing
    context = dict(context or {}, event=event, registration=registration)
    subject, text, html = render_mail(template, language, **context)
    message = OutboxMessage(
        idempotency_key=key,
        recipient=to,
        language=language,
        subject=subject,
        body_text=text,
        body_html=html,
        attachments=attachments or [],
        kind=template,
        batch=batch,
        event_id=event.id if event is not None else None,
        registration_id=registration.id if registration is not None else None,
        due_at=due_at or utcnow(),
    )
    db.session.add(message)
    return message


def init_app(app):
    app.jinja_env.globals.update(mail_url=mail_url)


def to_mail_message(message, sender):
    """The outbox row as a Flask-Mail message: a plain-text part, an HTML alternative, and
    attachments. Providers that speak MIME (SMTP, files) send exactly this."""
    import base64

    from flask_mail import Attachment, Message

    attachments = []
    for item in message.attachments or []:
        data = item["data"]
        data = base64.b64decode(data) if item.get("encoding") == "base64" else data.encode()
        attachments.append(Attachment(item["filename"], item["content_type"], data))
    return Message(
        subject=message.subject,
        recipients=[message.recipient],
        body=message.body_text,
        html=message.body_html or None,
        sender=sender,
        attachments=attachments,
        extra_headers={"Auto-Submitted": "auto-generated", "Content-Language": message.language},
    )

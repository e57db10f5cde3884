"""The outbox: mail is rendered and stored in the transaction of the change that causes it,
and sent later by the worker (`sala worker`). No web request waits on a mail server."""

import os
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, has_request_context, render_template, request
from flask_babel import force_locale
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import OutboxMessage, utcnow


class TemporaryFailure(Exception):
    """The provider could not send now; try again later."""


class ConnectionLost(TemporaryFailure):
    """The connection to the provider is gone (server down, network cut). The message is
    retried later; the worker stops the batch instead of failing every message after it."""


class PermanentFailure(Exception):
    """The provider refused the message for good (a 5xx reply, a malformed address)."""


def mail_url(endpoint, **values):
    """An absolute URL for links in mail, built from BASE_URL: mail is rendered outside any
    request (the worker, the CLI), and its links must work wherever it is read."""
    base = urlsplit(mail_base_url())
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)


def mail_base_url():
    """BASE_URL; in development without it, the address actually served: the request's own,
    else the last one the dev server answered (for the in-process worker), else the address
    `sala run` serves on. Production requires BASE_URL: a Host header is the visitor's."""
    if current_app.config.get("BASE_URL"):
        return current_app.config["BASE_URL"]
    if has_request_context():
        return request.url_root
    if current_app.extensions.get("sala.served_url"):
        return current_app.extensions["sala.served_url"]
    host = os.environ.get("FLASK_RUN_HOST", "127.0.0.1")
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{os.environ.get('FLASK_RUN_PORT', '5000')}/"


def remember_served_address():
    current_app.extensions["sala.served_url"] = request.url_root


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
    rendered=None,
    headers=None,
):
    """Render a mail and add it to the current transaction, once per idempotency `key`.

    The caller commits with the change that caused the mail; a rolled-back transaction
    leaves no message. Returns the message (the existing one if `key` was queued before).
    `rendered`: (subject, text, html) the caller already rendered (a mail-out, which
    renders once per language for thousands of registrants). `headers`: extra headers for
    this mail (a bulk mail's List-Unsubscribe); every mail gets Reply-To: CONTACT_EMAIL.
    """
    if rendered is None:
        context = dict(context or {}, event=event, registration=registration)
        rendered = render_mail(template, language, **context)
    subject, text, html = rendered
    values = dict(
        idempotency_key=key,
        recipient=to,
        language=language,
        subject=subject,
        body_text=text,
        body_html=html,
        attachments=attachments or [],
        headers=mail_headers(headers),
        kind=template,
        batch=batch,
        event_id=event.id if event is not None else None,
        registration_id=registration.id if registration is not None else None,
        due_at=due_at or utcnow(),
    )
    # A key queued before (a double-clicked link, a sweep run twice) is not queued again.
    # The unique key decides, without an error and without touching the rest of the
    # caller's transaction: INSERT ... ON CONFLICT DO NOTHING where the database has it,
    # else a SAVEPOINT. Rendering before that costs a wasted render now and then, and
    # saves a look-up query on every message. (No SAVEPOINT on SQLite: pysqlite does not
    # BEGIN before one, so its RELEASE would commit the caller's transaction.)
    dialect = db.session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        message = db.session.scalar(
            insert(OutboxMessage)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(OutboxMessage)
        )
        return message if message is not None else find_queued(key)
    message = OutboxMessage(**values)
    try:
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:
        existing = find_queued(key)
        if existing is None:
            raise
        return existing
    return message


def mail_headers(extra=None):
    """The extra headers of a mail: Reply-To the organizers' contact address when there is
    one (the sender is often a no-reply address), then `extra`."""
    headers = {}
    if current_app.config.get("CONTACT_EMAIL"):
        headers["Reply-To"] = current_app.config["CONTACT_EMAIL"]
    headers.update(extra or {})
    return headers


def find_queued(key):
    """The message queued under idempotency `key`, or None."""
    return db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.idempotency_key == key))


def retry(message):
    """An organizer sends a failed message again: it is queued now, with its attempts reset.
    Records the audit entry; the caller commits. Returns False if it was not failed."""
    from .. import audit

    if message.status != "failed":
        return False
    audit.record("outbox.retry", message, error=message.last_error, attempts=message.attempts)
    message.status = "queued"
    message.attempts = 0
    message.due_at = utcnow()
    message.handed_at = None
    message.claimed_by = ""
    message.claimed_until = None
    return True


def mask_address(address):
    """o***@example.org: enough for an organizer to recognise, not to copy."""
    local, at, domain = (address or "").partition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"

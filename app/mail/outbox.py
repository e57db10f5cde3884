"""The outbox: mail is rendered and stored in the transaction of the change that causes it,
and sent later by the worker (`sala worker`). No web request waits on a mail server."""

import os
import re
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


class ProviderRefused(ConnectionLost):
    """The provider refused the sender, the login or the connection: its settings or its
    state, not this message nor its recipient. The worker pauses the queue (and says why)
    instead of failing message after message; the message was not delivered."""


class PermanentFailure(Exception):
    """The provider refused this message for good (its recipient refused with a 5xx reply,
    a malformed address)."""


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


# What an organizer may send again: a failed message, or one whose fate is unknown (they
# know whether its recipient got it; Sala does not).
RETRYABLE = ("failed", "unknown")

_QUEUED_AGAIN = dict(status="queued", attempts=0, handed_at=None, claimed_by="", claimed_until=None)


def retry(message):
    """An organizer sends a failed (or unknown) message again: it is queued now, with its
    attempts reset; it keeps its Message-ID. Records the audit entry; the caller commits.
    Returns False if it was neither failed nor unknown."""
    from .. import audit

    if message.status not in RETRYABLE:
        return False
    audit.record("outbox.retry", message, error=message.last_error, attempts=message.attempts)
    for name, value in dict(_QUEUED_AGAIN, due_at=utcnow()).items():
        setattr(message, name, value)
    return True


# An SMTP reply's code and, if it has one, its enhanced status code: "550 5.1.1".
_SMTP_REPLY = re.compile(r"[45]\d\d(?: [245]\.\d{1,3}\.\d{1,3})?(?=\s|$)")


def failure_reason(error):
    """The reason a failed message is grouped under: an SMTP reply's code and enhanced
    code ("550 5.1.1", without the text that often names the recipient), else the text
    before its first colon ("malformed address")."""
    match = _SMTP_REPLY.match(error or "")
    if match:
        return match.group(0).strip()
    return (error or "").split(":", 1)[0].strip()[:200]


def failed_ids(batch=None, reason=None):
    """Ids of the failed messages of `batch` (None: any; "": those of no bulk send) whose
    `failure_reason` is `reason` (None: any)."""
    query = sa.select(OutboxMessage.id, OutboxMessage.last_error).where(
        OutboxMessage.status == "failed"
    )
    if batch is not None:
        query = query.where(OutboxMessage.batch == batch)
    return [
        id_
        for id_, error in db.session.execute(query.order_by(OutboxMessage.id))
        if reason is None or failure_reason(error) == reason
    ]


def retry_failed(batch=None, reason=None):
    """Queue every failed message of `batch` with `reason` again at once (see `failed_ids`);
    one audit entry for all. The caller commits. Returns how many were queued again."""
    from .. import audit

    ids = failed_ids(batch, reason)
    for start in range(0, len(ids), 500):  # bound the size of the IN (...) list
        db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids[start : start + 500]), OutboxMessage.status == "failed")
            .values(**_QUEUED_AGAIN, due_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    if ids:
        audit.record("outbox.retry_failed", None, batch=batch, reason=reason, count=len(ids))
    return len(ids)


def mask_address(address):
    """o***@example.org: enough for an organizer to recognise, not to copy."""
    local, at, domain = (address or "").partition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"

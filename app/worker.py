"""The mail worker: sends what the outbox holds through the configured provider.

A first, simple version: one claimer at a time, sequential. The email issue hardens it
(claims with SKIP LOCKED, expiry, backoff, progress)."""

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from .extensions import db
from .models import OutboxMessage, utcnow
from .outbox import PermanentFailure, TemporaryFailure
from .plugins import hooks

MAX_ATTEMPTS = 8


@dataclass
class RunStats:
    sent: int = 0
    failed: int = 0
    retried: int = 0


def email_provider(app=None):
    app = app or current_app
    name = app.config["EMAIL_PROVIDER"]
    provider = hooks(app).sala_email_provider(name=name, app=app)
    if provider is None:
        raise RuntimeError(f"No plugin provides the email provider {name!r} (SALA_EMAIL_PROVIDER).")
    return provider


def due_messages(limit):
    return db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.status == "queued", OutboxMessage.due_at <= utcnow())
        .order_by(OutboxMessage.due_at, OutboxMessage.id)
        .limit(limit)
    ).all()


def run_once(limit=500):
    """Send every message that is due (up to `limit`), then return what happened."""
    hooks().sala_worker_tick(app=current_app._get_current_object())
    stats = RunStats()
    messages = due_messages(limit)
    if not messages:
        return stats
    provider = email_provider()
    try:
        with provider.open() as connection:
            for message in messages:
                deliver(connection, message, stats)
    except TemporaryFailure as exc:  # the provider cannot be reached at all: try later
        for message in messages:
            if message.status == "queued":
                postpone(message, str(exc), stats)
        db.session.commit()
    return stats


def deliver(connection, message, stats):
    message.attempts += 1
    message.handed_at = utcnow()
    db.session.commit()
    try:
        message.provider_id = connection.send(message) or ""
    except PermanentFailure as exc:
        message.status, message.last_error = "failed", str(exc)[:1000]
        stats.failed += 1
    except TemporaryFailure as exc:
        postpone(message, str(exc), stats)
    else:
        message.status, message.sent_at = "sent", utcnow()
        stats.sent += 1
    db.session.commit()


def postpone(message, error, stats):
    message.last_error = error[:1000]
    message.handed_at = None
    if message.attempts >= MAX_ATTEMPTS:
        message.status = "failed"
        stats.failed += 1
    else:
        message.due_at = utcnow() + timedelta(minutes=2**message.attempts)
        stats.retried += 1

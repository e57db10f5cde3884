"""The audit log: who did what to what, when.

It is also an internal plugin: an entry's detail may hold words about a person, and an
erasure takes them out. `PERSONAL_DETAIL` lists them, by action; the rest of each entry (who
did what, when) stays, marked ``erased``."""

import sqlalchemy as sa
from flask import has_request_context
from flask_login import current_user

from .extensions import db
from .models import AuditEntry, OutboxMessage, Registration
from .plugins import hookimpl

# What an entry's detail may hold about a person: an organizer's search of the registrants
# (a name, an address) saved with its export, and a mail server's reply (which may quote
# the address) saved when an organizer retried a failed mail.
PERSONAL_DETAIL = {"registration.export": ("filters", "q"), "outbox.retry": ("error",)}


def record(action, target=None, actor=None, **detail):
    """Add an audit entry to the current transaction (the caller commits)."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    entry = AuditEntry(
        action=action,
        actor_id=actor.id if actor is not None else None,
        actor_label=actor.email if actor is not None else "",
        target_type=type(target).__name__.lower() if target is not None else "",
        target_id=getattr(target, "id", None),
        detail=detail,
    )
    db.session.add(entry)
    return entry


# ---------------------------------------------------------------- erasure


def personal_words(entry):
    """What the entry holds about a person, or ""."""
    value = entry.detail or {}
    for key in PERSONAL_DETAIL.get(entry.action, ()):
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, str) else ""


def forget_personal_words(entry):
    """Replace the entry's detail by a copy without the personal words (a new dict: the
    JSON column only notices a new value)."""
    detail = dict(entry.detail or {})
    *parents, last = PERSONAL_DETAIL[entry.action]
    holder = detail
    for key in parents:
        holder[key] = dict(holder.get(key) or {})
        holder = holder[key]
    holder.pop(last, None)
    detail["erased"] = True
    entry.detail = detail


def exports_of(event_id):
    return db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.action == "registration.export",
            AuditEntry.target_type == "event",
            AuditEntry.target_id == event_id,
        )
    ).all()


def retries_of(messages):
    """(entry, the message's registration id) for each retry of the messages selected."""
    return db.session.execute(
        sa.select(AuditEntry, OutboxMessage.registration_id)
        .join(OutboxMessage, OutboxMessage.id == AuditEntry.target_id)
        .where(
            AuditEntry.action == "outbox.retry",
            AuditEntry.target_type == "outboxmessage",
            messages,
        )
    ).all()


def found_by(search, registration):
    """Whether the registrants' search `search` finds this registration (as the
    registrants page searches: a part of the address, name or affiliation)."""
    words = (registration.email_key, registration.name, registration.affiliation)
    return any(search.lower() in (word or "").lower() for word in words)


@hookimpl
def sala_registration_erased(registration):
    if registration.id is None:  # never saved: nothing kept under it
        return
    for entry in exports_of(registration.event_id):
        search = personal_words(entry)
        if search and found_by(search, registration):
            forget_personal_words(entry)
    theirs = sa.or_(
        OutboxMessage.registration_id == registration.id,
        OutboxMessage.event_id == registration.event_id,
    )
    for entry, registration_id in retries_of(theirs):
        error = personal_words(entry)
        if error and (
            registration_id == registration.id or registration.email_key in error.lower()
        ):
            forget_personal_words(entry)


@hookimpl
def sala_event_purged(event):
    if event.id is None:
        return
    for entry in exports_of(event.id):
        if personal_words(entry):
            forget_personal_words(entry)
    registrations = sa.select(Registration.id).where(Registration.event_id == event.id)
    session_mail = sa.or_(
        OutboxMessage.event_id == event.id, OutboxMessage.registration_id.in_(registrations)
    )
    for entry, _registration_id in retries_of(session_mail):
        if personal_words(entry):
            forget_personal_words(entry)

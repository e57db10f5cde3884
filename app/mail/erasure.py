"""Internal plugin: the outbox forgets the people it wrote to. For an erased registrant (or
every person of a purged session) nothing still waiting goes out, and no copy of a mail
keeps its address, its text, or a mail server's reply (which may quote the address). The
row itself stays, so the organizer's counts of what went out stay true."""

import sqlalchemy as sa

from ..extensions import db
from ..models import OutboxMessage, Registration
from ..plugins import hookimpl

ERASED_PREFIX = "erased-"  # not an address: a retried erased message fails, never goes out


def messages_of(registration):
    """The registrant's mails: sent about their registration, or to their address for the
    same session (an idea they sent from the public form)."""
    return sa.or_(
        OutboxMessage.registration_id == registration.id,
        sa.and_(
            OutboxMessage.event_id == registration.event_id,
            sa.func.lower(OutboxMessage.recipient) == registration.email_key,
        ),
    )


def messages_of_event(event):
    registrations = sa.select(Registration.id).where(Registration.event_id == event.id)
    return sa.or_(
        OutboxMessage.event_id == event.id, OutboxMessage.registration_id.in_(registrations)
    )


def still_personal():
    """A mail that still holds an address, a text or a server's reply."""
    return sa.or_(
        ~OutboxMessage.recipient.startswith(ERASED_PREFIX),
        OutboxMessage.body_text != "",
        OutboxMessage.last_error != "",
    )


def forget_messages(which):
    """Cancel what `which` selects that has not gone out, and blank every copy of it.
    Returns how many mails were blanked. A message a worker already handed to the provider
    keeps the outcome the worker records."""
    db.session.execute(
        sa.update(OutboxMessage)
        .where(which, OutboxMessage.status.in_(("queued", "sending")))
        .values(status="cancelled")
        .execution_options(synchronize_session=False)
    )
    return db.session.execute(
        sa.update(OutboxMessage)
        .where(which, still_personal())
        .values(
            recipient=sa.literal(ERASED_PREFIX + "message-") + sa.cast(OutboxMessage.id, sa.String),
            subject="",
            body_text="",
            body_html="",
            attachments=[],
            last_error="",
        )
        .execution_options(synchronize_session=False)
    ).rowcount


def count_personal(event):
    """How many of the session's mails still hold personal data (for the purge's page)."""
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(OutboxMessage)
        .where(messages_of_event(event), still_personal())
    )


@hookimpl
def sala_registration_erased(registration):
    if registration.id is None:  # never saved: nothing kept under it
        return
    forget_messages(messages_of(registration))


@hookimpl
def sala_event_purged(event):
    if event.id is None:
        return
    forget_messages(messages_of_event(event))

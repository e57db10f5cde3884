"""Mail-outs: an organizer's "send this to that audience" (a plan version to every
registrant, an announcement). The request only records it (`record`); the worker turns it
into outbox messages a bounded batch at a time (`advance_all`, called every round), each
batch one short transaction, so no request renders thousands of mails and nobody else waits
long for SQLite's write lock.

Every guarantee of the outbox holds: one idempotency key per registrant and mail-out, so a
batch done twice (two workers, a crash before the commit) queues nobody twice; each mail in
the registrant's language; a registration cancelled or erased before its batch is skipped,
because each batch reads who is registered at that moment. Each mail carries the List-*
headers of one-click unsubscribe (app/mail/unsubscribe.py) and the registrant's own
"manage or cancel" and "stop these mails" links.

What a mail-out sends is its kind's business: a feature registers a `MailoutKind` under a
name (the plan in app/plan/service.py, announcements in app/registration/domain.py)."""

import logging
import secrets
from types import SimpleNamespace

import sqlalchemy as sa
from flask import current_app
from markupsafe import escape

from ..extensions import db
from ..models import Event, Mailout, Registration, utcnow
from ..sqlite import take_write_lock
from .outbox import enqueue, render_mail
from .unsubscribe import list_headers, unsubscribe_url

log = logging.getLogger("sala.worker")

KINDS = {}


class MailoutKind:
    """What one kind of mail-out sends. `load` once per batch (the version, the texts),
    `mail` per registrant: the keyword arguments of `enqueue` but to, event, registration
    and batch; `finish` once, in the last batch's transaction.

    A `service` kind is a mail about the registration itself (the session moved or
    cancelled), like the join details: it also reaches those who stopped bulk mail, and
    carries neither List-Unsubscribe nor a "stop these mails" link."""

    service = False

    def load(self, mailout):
        return None

    def mail(self, loaded, registration):
        raise NotImplementedError

    def finish(self, mailout, loaded):
        pass


# Stand in for a registrant's name and personal links in a mail rendered once for many
# (see render_for).
NAME_MARK = "salaname" + secrets.token_hex(12)
MANAGE_MARK = "https://salamanage" + secrets.token_hex(12) + ".invalid/"
UNSUBSCRIBE_MARK = "https://salastop" + secrets.token_hex(12) + ".invalid/"


def personal_links(registration, known=()):
    """The links every bulk mail carries in its footer: "manage or cancel your
    registration" and "stop these mails" (leaving out those in `known`)."""
    from ..registration.domain import manage_link

    links = {}
    if "manage_url" not in known:
        links["manage_url"] = manage_link(registration)
    if "unsubscribe_url" not in known:
        links["unsubscribe_url"] = unsubscribe_url(registration)
    return links


def render_for(cache, template, language, registration, context):
    """(subject, text, html) of `template` for `registration`, rendered once per language
    (and whether there is a name) and then given the registrant's name and links: the same
    text as a render of its own, for a mail whose only personal parts are
    `registration.name` and the links (the plan: thousands of registrants, a long mail, two
    languages)."""
    has_name = bool(registration.name)
    key = (template, language, has_name)
    if key not in cache:
        stand_in = SimpleNamespace(name=NAME_MARK if has_name else "")
        cache[key] = render_mail(
            template,
            language,
            **context,
            registration=stand_in,
            manage_url=MANAGE_MARK,
            unsubscribe_url=UNSUBSCRIBE_MARK,
        )
    subject, text, html = cache[key]
    if has_name:
        name = registration.name
        subject = " ".join(subject.replace(NAME_MARK, name).split())
        text = text.replace(NAME_MARK, name)
        html = html.replace(NAME_MARK, str(escape(name)))
    links = personal_links(registration)
    for mark, url in (
        (MANAGE_MARK, links["manage_url"]),
        (UNSUBSCRIBE_MARK, links["unsubscribe_url"]),
    ):
        text = text.replace(mark, url)
        html = html.replace(mark, str(escape(url)))
    return subject, text, html


def register_kind(name, kind):
    KINDS[name] = kind
    return kind


# Who a mail-out may go to. Everyone who proved their address (confirmed, or waitlisted
# after confirming) is "registered": the plan is promised to every pre-registrant. An
# address never confirmed gets nothing (nobody proved it belongs to whoever typed it).
# Follow-ups can tell those who attended from those who did not.
AUDIENCES = {
    "registered": (("confirmed", "waitlisted"), None),
    "confirmed": (("confirmed",), None),
    "attended": (("confirmed", "waitlisted"), True),
    "absent": (("confirmed", "waitlisted"), False),
}


def audience_filter(event_id, audience, service=False):
    """The WHERE clauses of `audience` of a session: its statuses, not erased, and (unless
    it is a `service` mail) not stopped by a one-click unsubscribe."""
    statuses, attended = AUDIENCES[audience]
    clauses = [
        Registration.event_id == event_id,
        Registration.status.in_(statuses),
        Registration.erased_at.is_(None),
    ]
    if not service:
        clauses.append(Registration.bulk_mail_stopped_at.is_(None))
    if attended is not None:
        clauses.append(Registration.attended.is_(attended))
    return clauses


def audience_query(mailout):
    """Who the mail-out goes to, read afresh for every batch: its audience among the
    registrations recorded when the mail-out was."""
    kind = KINDS.get(mailout.kind)
    return sa.select(Registration).where(
        *audience_filter(
            mailout.event_id, mailout.audience or "registered", getattr(kind, "service", False)
        ),
        Registration.id <= mailout.upto_id,
    )


def audience_size(event, audience, service=False):
    """How many registrants of `event` a mail-out to `audience` would reach now."""
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Registration)
        .where(*audience_filter(event.id, audience, service))
    )


def audience_counts(event):
    """{status: count} of a session's registrations that are not erased, for the send
    buttons ("confirmed 120, waitlisted 14; 9 never confirmed get nothing"), and "stopped":
    those of them who stopped bulk mail."""
    rows = db.session.execute(
        sa.select(Registration.status, sa.func.count())
        .where(Registration.event_id == event.id, Registration.erased_at.is_(None))
        .group_by(Registration.status)
    ).all()
    counts = dict.fromkeys(Registration.STATUSES, 0) | dict(rows)
    counts["stopped"] = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.erased_at.is_(None),
            Registration.status.in_(("confirmed", "waitlisted")),
            Registration.bulk_mail_stopped_at.is_not(None),
        )
    )
    return counts


def record(event, kind, batch, context, actor=None, audience="registered"):
    """Record "send this to that audience" in the current transaction (the caller commits).

    The same `batch` again while it is being prepared changes nothing; once it is done, it
    starts over, and the idempotency keys queue mail only for those who had none (someone
    confirmed since). Returns the mail-out."""
    upto = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(Registration.id), 0)).where(
            Registration.event_id == event.id
        )
    )
    values = dict(
        event_id=event.id,
        kind=kind,
        batch=batch,
        context=context,
        audience=audience,
        upto_id=upto,
        created_by_id=actor.id if actor is not None else None,
    )
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.execute(
        insert(Mailout).values(**values).on_conflict_do_nothing(index_elements=["batch"])
    )
    mailout = db.session.scalar(
        sa.select(Mailout).where(Mailout.batch == batch).execution_options(populate_existing=True)
    )
    if mailout.status == "done":
        mailout.status = "preparing"
        mailout.upto_id = upto
        mailout.cursor = 0
        mailout.handled = 0
        mailout.last_error = ""
        mailout.finished_at = None
    if mailout.cursor == 0:
        mailout.total = db.session.scalar(
            audience_query(mailout).with_only_columns(sa.func.count()).order_by(None)
        )
    db.session.flush()
    return mailout


def batch_size():
    return max(1, int(current_app.config["MAILOUT_BATCH"]))


def advance_all():
    """One batch of every mail-out being prepared; each in its own transaction, and one
    that fails (a template error) neither stops the others nor the sending. Returns how many
    registrants were handled, so `sala worker --once` goes on while there are more."""
    ids = db.session.scalars(
        sa.select(Mailout.id).where(Mailout.status == "preparing").order_by(Mailout.id)
    ).all()
    db.session.rollback()
    handled = 0
    for mailout_id in ids:
        try:
            handled += advance(mailout_id)
        except Exception as exc:
            db.session.rollback()
            log.exception("preparing mail-out %s failed", mailout_id)
            note_error(mailout_id, exc)
    return handled


def advance(mailout_id, size=None):
    """Queue the next batch of one mail-out and commit. Returns how many registrants it
    handled (0 if another worker holds it or it is done)."""
    size = size or batch_size()
    mailout = lock(mailout_id)
    if mailout is None:
        db.session.rollback()
        return 0
    kind = KINDS.get(mailout.kind)
    if kind is None:
        raise LookupError(f"no mail-out kind {mailout.kind!r}")
    event = db.session.get(Event, mailout.event_id)
    registrations = db.session.scalars(
        audience_query(mailout)
        .where(Registration.id > mailout.cursor)
        .order_by(Registration.id)
        .limit(size)
    ).all()
    loaded = kind.load(mailout)
    for registration in registrations:
        mail = kind.mail(loaded, registration)
        if mail.get("rendered") is None:
            context = mail.get("context") or {}
            known = {**context, "unsubscribe_url": ""} if kind.service else context
            mail["context"] = {**personal_links(registration, known=known), **context}
        enqueue(
            **mail,
            headers=None if kind.service else list_headers(registration, event),
            to=registration.email,
            event=event,
            registration=registration,
            batch=mailout.batch,
        )
    if registrations:
        mailout.cursor = registrations[-1].id
        mailout.handled += len(registrations)
    if len(registrations) < size:
        kind.finish(mailout, loaded)
        mailout.status = "done"
        mailout.finished_at = utcnow()
        mailout.total = mailout.handled
    mailout.last_error = ""
    db.session.commit()
    return len(registrations) or (1 if mailout.status == "done" else 0)


def lock(mailout_id):
    """The mail-out, held by this worker until the commit: on SQLite the write lock (one
    writer anyway, and this batch is short), on PostgreSQL its row, skipped when another
    worker has it."""
    db.session.rollback()
    take_write_lock(db.session)
    query = sa.select(Mailout).where(Mailout.id == mailout_id, Mailout.status == "preparing")
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return db.session.scalar(query.execution_options(populate_existing=True))


def note_error(mailout_id, exc):
    """Keep why a mail-out stopped, for the outbox page (the worker's log has the rest)."""
    try:
        db.session.execute(
            sa.update(Mailout)
            .where(Mailout.id == mailout_id)
            .values(last_error=f"{type(exc).__name__}: {exc}"[:300])
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("recording why mail-out %s failed", mailout_id)


def preparing(batches):
    """{batch name: mail-out} of those of `batches` still being prepared."""
    if not batches:
        return {}
    rows = db.session.scalars(
        sa.select(Mailout).where(Mailout.batch.in_(batches), Mailout.status == "preparing")
    )
    return {m.batch: m for m in rows}


def preparing_batches():
    return db.session.scalars(
        sa.select(Mailout.batch).where(Mailout.status == "preparing").order_by(Mailout.id)
    ).all()

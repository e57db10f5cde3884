"""The mail worker: sends what the outbox holds through the configured email provider.

One round (`Worker.run_round`):

1. the plugins' ``sala_worker_tick`` (background work of other plugins);
2. expired claims are settled: a message whose worker died *before* handing it to the
   provider is queued again; the one it was handing over when it died is marked
   ``unknown`` (it may have been delivered: it is not sent again unless an organizer says so);
3. if the queue is paused (the provider refused the sender, the login or the connection),
   nothing more: the pause says why and until when (`MailPause`);
4. a batch of due messages is claimed: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several
   workers never take the same row; on SQLite one claimer at a time (``BEGIN IMMEDIATE``);
5. one provider connection is opened for the batch (and kept for the next one while the
   queue has mail: a full batch was claimed and nothing went wrong; closed as soon as a
   round finds less than a full batch, before any wait), and the messages are handed over
   in groups: a group's ``handed_at`` is committed *before* the provider sees any of its
   messages, in one transaction with the outcomes of the group before (sent, retry later
   with a growing delay, failed with the reason). A crash leaves at most one group whose
   fate is unknown. A group is sized so its transaction costs at most 1/GROUP_SHARE of the
   provider's time for it (at most MAIL_WORKER_GROUP messages; one with a provider slower
   than a commit, and the first of each connection). The claims of the batch are renewed
   as the work goes on, so a dead worker's batch returns to the queue within one claim
   period.

A refusal by the provider itself (its sender, login or connection) pauses the queue with
a growing delay instead of failing every message; only a recipient's own refusal fails
its message. The first message that gets an answer of its own lifts the pause, and an
organizer can lift it at once (the outbox page, ``sala mail resume``).

``sala worker --once`` runs rounds until nothing is due; ``sala worker`` runs until stopped
(SIGTERM/SIGINT finish the current message, put the rest of the batch back, and exit).
"""

import logging
import math
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm.attributes import set_committed_value

from .. import intake
from ..extensions import db
from ..models import MailPause, OutboxMessage, utcnow
from ..plugins import hooks
from ..sqlite import take_write_lock
from . import mailout
from .mime import PLAIN_ADDRESS
from .outbox import ConnectionLost, PermanentFailure, ProviderRefused, TemporaryFailure

log = logging.getLogger("sala.worker")

# The worker's settings (MAIL_WORKER_*, MAIL_MAX_ATTEMPTS, MAIL_RETRY_BASE_SECONDS) have
# their defaults in app/config.py.
RETRY_MAX_SECONDS = 6 * 3600

# Stored in last_error; the outbox page shows it translated.
IN_FLIGHT_UNKNOWN = "the worker stopped while handing this message over; it may have been delivered"


@dataclass
class RunStats:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    claimed: int = 0
    requeued: int = 0  # expired claims put back in the queue
    unknown: int = 0  # expired claims of a message in flight: may have been delivered
    left: int = 0  # queued or being sent, after the last batch
    prepared: int = 0  # registrants of mail-outs turned into outbox messages this round
    provider_error: str = ""  # why the queue is paused (the provider refused or is away)
    paused_until: datetime | None = None

    def add(self, other):
        for name in ("sent", "failed", "retried", "claimed", "requeued", "unknown"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.left = other.left
        self.provider_error = other.provider_error
        self.paused_until = other.paused_until


def email_provider(app=None):
    app = app or current_app
    name = app.config["EMAIL_PROVIDER"]
    provider = hooks(app).sala_email_provider(name=name, app=app)
    if provider is None:
        raise RuntimeError(f"No plugin provides the email provider {name!r} (SALA_EMAIL_PROVIDER).")
    return provider


def retry_delay(attempts, base, cap=RETRY_MAX_SECONDS):
    """Seconds to wait after the `attempts`-th try failed: base, 2×base, 4×base… capped."""
    return min(cap, base * 2 ** max(0, attempts - 1))


def malformed_address(address):
    """Why `address` cannot be sent to (no provider sees it then), or "" if it is fine."""
    from email_validator import EmailNotValidError, validate_email

    if PLAIN_ADDRESS.fullmatch(address):  # the common case, without the full (slower) check
        return ""
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        return f"malformed address: {exc}"
    return ""


def worker_name():
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"[:100]


# ---------------------------------------------------------------- the pause


def current_pause():
    """The queue's pause (a `MailPause`), or None when mail flows."""
    return db.session.scalar(
        sa.select(MailPause).where(MailPause.id == 1).execution_options(populate_existing=True)
    )


def pause_queue(reason, base, cap):
    """Pause the queue for a growing delay (base, 2×base… at most `cap` seconds), or
    lengthen the pause it is in, and commit. Returns the pause."""
    for last_try in (False, True):
        now = utcnow()
        pause = current_pause()
        if pause is None:
            pause = MailPause(id=1, since=now, tries=0)
            db.session.add(pause)
        pause.tries += 1
        pause.reason = (reason or "?")[:1000]
        pause.until = now + timedelta(seconds=retry_delay(pause.tries, base, cap))
        try:
            db.session.commit()
            return pause
        except sa.exc.IntegrityError:  # another worker paused it at the same moment
            db.session.rollback()
            if last_try:
                raise


def lift_pause():
    """Mail flows again; the caller commits. Returns whether the queue was paused."""
    return bool(
        db.session.execute(
            sa.delete(MailPause).execution_options(synchronize_session=False)
        ).rowcount
    )


# The per-message writes, built once: plain SQL, not the ORM's unit of work, which cost more
# than the SMTP exchange. An UPDATE without values() sets the columns it is given.
OUTBOX = OutboxMessage.__table__
RECORD_OUTCOME = sa.update(OUTBOX).where(OUTBOX.c.id == sa.bindparam("outbox_id"))
HAND_OVER = (
    sa.update(OUTBOX)
    .where(
        OUTBOX.c.id == sa.bindparam("outbox_id"),
        OUTBOX.c.status == "sending",
        OUTBOX.c.claimed_by == sa.bindparam("worker"),
        OUTBOX.c.handed_at.is_(None),
    )
    .values(
        handed_at=sa.bindparam("now"),
        attempts=OUTBOX.c.attempts + 1,
        claimed_until=sa.bindparam("until"),
    )
)
# The same for a group of messages, saying which ones this worker still held.
HAND_OVER_GROUP = (
    sa.update(OUTBOX)
    .where(
        OUTBOX.c.id.in_(sa.bindparam("ids", expanding=True)),
        OUTBOX.c.status == "sending",
        OUTBOX.c.claimed_by == sa.bindparam("worker"),
        OUTBOX.c.handed_at.is_(None),
    )
    .values(
        handed_at=sa.bindparam("now"),
        attempts=OUTBOX.c.attempts + 1,
        claimed_until=sa.bindparam("until"),
    )
    .returning(OUTBOX.c.id)
)
# A group's hand-over (one transaction: the previous group's outcomes, then the marks)
# costs at most 1/GROUP_SHARE of the time the provider takes for the group.
GROUP_SHARE = 20


class Worker:
    """Sends the outbox. Needs an app context; uses that context's database session."""

    def __init__(self, app=None, name=None, batch_size=None, on_progress=None):
        self.app = app or current_app._get_current_object()
        config = self.app.config
        self.name = name or worker_name()
        self.batch_size = batch_size or config["MAIL_WORKER_BATCH"]
        self.claim_for = timedelta(seconds=config["MAIL_WORKER_CLAIM_SECONDS"])
        self.max_attempts = config["MAIL_MAX_ATTEMPTS"]
        self.retry_base = config["MAIL_RETRY_BASE_SECONDS"]
        self.pause_max = config["MAIL_PAUSE_MAX_SECONDS"]
        self.group_max = max(1, config["MAIL_WORKER_GROUP"])
        self._group_size = 1  # messages in the next hand-over (see `next_group_size`)
        self._outcomes = []  # recorded, not yet committed: [{"outbox_id": …, column: value}]
        self.on_progress = on_progress
        self.stop = threading.Event()
        self._renew_claims_at = 0.0
        self.paused = False
        # The provider connection kept from one batch to the next while the queue has mail
        # (only inside `run`, which closes it before waiting and when it ends).
        self.keep_connection = False
        self._connection_cm = None
        self._connection = None

    # ------------------------------------------------------------ loops

    def run(self, once=False, idle=5.0):
        """Rounds until nothing is due (`once`) or until `self.stop` is set."""
        total = RunStats()
        self.keep_connection = True
        try:
            while not self.stop.is_set():
                try:
                    stats = self.run_round()
                except Exception:
                    self.close_connection()
                    if once:
                        raise
                    db.session.rollback()
                    log.exception("mail worker round failed; trying again in %ss", idle)
                    self.stop.wait(idle)
                    continue
                total.add(stats)
                if (stats.claimed == 0 and not stats.prepared) or stats.provider_error:
                    self.close_connection()  # never idle on an open connection
                    if once:
                        break
                    intake.wait(self.stop, idle)  # a registration or idea wakes it at once
        finally:
            self.keep_connection = False
            self.close_connection()
        return total

    def run_round(self):
        """One round: the plugins' tick, expired claims, one batch of due messages (unless
        the queue is paused)."""
        try:
            hooks(self.app).sala_worker_tick(app=self.app)
        except Exception:  # a broken plugin must not stop the mail
            db.session.rollback()
            log.exception("a plugin's sala_worker_tick failed")
        stats = RunStats()
        stats.requeued, stats.unknown = self.settle_expired_claims()
        stats.prepared = mailout.advance_all()  # the next batch of each plan or announcement
        stats.prepared += self.take_submissions()
        pause = current_pause()
        self.paused = pause is not None
        if self.paused and pause.until > utcnow():
            stats.provider_error, stats.paused_until = pause.reason, pause.until
            db.session.rollback()  # end the read transaction; hold nothing while waiting
        else:  # mail flows, or the pause is over: this batch tries the provider again
            ids = self.claim()
            stats.claimed = len(ids)
            if ids:
                self.send_batch(ids, stats)
                stats.left = self.count_left()
        if self.on_progress and (stats.claimed or stats.provider_error):
            self.on_progress(stats)
        return stats

    def take_submissions(self):
        """Registrations and ideas sent since the last round become rows and mail
        (app/intake.py); a failure there must not stop the mail."""
        try:
            return intake.step()
        except Exception:
            db.session.rollback()
            log.exception("taking submissions failed")
            return 0

    # ------------------------------------------------------------ claims

    def settle_expired_claims(self):
        """Claims of dead (or stuck) workers: a message not yet handed over is queued again;
        the one that was in flight is `unknown`. Returns (queued again, unknown)."""
        now = utcnow()
        expired = (OutboxMessage.status == "sending", OutboxMessage.claimed_until < now)
        requeued = db.session.execute(
            sa.update(OutboxMessage)
            .where(*expired, OutboxMessage.handed_at.is_(None))
            .values(status="queued", claimed_by="", claimed_until=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        unknown = db.session.execute(
            sa.update(OutboxMessage)
            .where(*expired, OutboxMessage.handed_at.is_not(None))
            .values(status="unknown", last_error=IN_FLIGHT_UNKNOWN, claimed_until=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
        if requeued or unknown:
            log.warning(
                "expired claims: %d queued again, %d in flight (may have been delivered)",
                requeued,
                unknown,
            )
        return requeued, unknown

    def claim(self):
        """Take up to batch_size due messages for this worker; returns their ids in order."""
        now = utcnow()
        due = (
            sa.select(OutboxMessage.id)
            .where(OutboxMessage.status == "queued", OutboxMessage.due_at <= now)
            .order_by(OutboxMessage.due_at, OutboxMessage.id)
            .limit(self.batch_size)
        )
        dialect = db.session.get_bind().dialect.name
        if dialect == "sqlite":
            # One claimer at a time: take the write lock before reading what is due.
            db.session.commit()
            take_write_lock(db.session)
        elif dialect == "postgresql":
            due = due.with_for_update(skip_locked=True)
        else:
            due = due.with_for_update()
        try:
            ids = list(db.session.scalars(due))
            if ids:
                db.session.execute(
                    sa.update(OutboxMessage)
                    .where(OutboxMessage.id.in_(ids))
                    .values(
                        status="sending", claimed_by=self.name, claimed_until=now + self.claim_for
                    )
                    .execution_options(synchronize_session=False)
                )
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        self._renew_claims_at = time.monotonic() + self.claim_for.total_seconds() / 3
        return ids

    def renew_claims(self):
        """Every third of a claim period, push back the expiry of what this worker holds
        (committed with the next hand-over): alive, it keeps its batch; dead, its batch
        returns to the queue within one period."""
        if time.monotonic() < self._renew_claims_at:
            return
        db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.claimed_by == self.name, OutboxMessage.status == "sending")
            .values(claimed_until=utcnow() + self.claim_for)
            .execution_options(synchronize_session=False)
        )
        self._renew_claims_at = time.monotonic() + self.claim_for.total_seconds() / 3

    def release(self):
        """Put back every message this worker claimed but has not handed over."""
        db.session.execute(
            sa.update(OutboxMessage)
            .where(
                OutboxMessage.claimed_by == self.name,
                OutboxMessage.status == "sending",
                OutboxMessage.handed_at.is_(None),
            )
            .values(status="queued", claimed_by="", claimed_until=None)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()

    def hand_over(self, messages):
        """Mark a group of messages as handed over, in one transaction with the outcomes
        recorded since the last hand-over (and the renewal of the claims, when due), and
        commit it before the provider sees any of them. Returns those this worker still
        holds (another worker may have settled an expired claim), in order."""
        connection = db.session.connection()
        self.write_outcomes(connection)
        self.renew_claims()
        now = utcnow()
        values = {"worker": self.name, "now": now, "until": now + self.claim_for}
        if connection.dialect.update_returning:
            ids = [message.id for message in messages]
            held = set(connection.execute(HAND_OVER_GROUP, dict(values, ids=ids)).scalars())
        else:
            held = {
                message.id
                for message in messages
                if connection.execute(HAND_OVER, dict(values, outbox_id=message.id)).rowcount
            }
        db.session.commit()
        self._outcomes.clear()  # written and committed
        for message in messages:  # what the rows now say, without reading them back
            if message.id in held:
                set_committed_value(message, "handed_at", now)
                set_committed_value(message, "attempts", message.attempts + 1)
        return [message for message in messages if message.id in held]

    def write_outcomes(self, connection=None):
        """Write the outcomes recorded since the last commit (the caller commits): one
        executemany per set of columns, not a statement a message."""
        if not self._outcomes:
            return
        connection = connection or db.session.connection()
        by_columns = {}
        for values in self._outcomes:
            by_columns.setdefault(tuple(values), []).append(values)
        for rows in by_columns.values():
            connection.execute(RECORD_OUTCOME, rows)

    def commit_outcomes(self):
        self.write_outcomes()
        db.session.commit()
        self._outcomes.clear()

    def next_group_size(self, bookkeeping, sending, count):
        """How many messages the next hand-over takes: enough that its transaction costs at
        most 1/GROUP_SHARE of the time the provider takes for them, at most `group_max`.
        With a provider slower than a commit (most real ones) that is one message."""
        if not count or sending <= 0:
            return 1
        wanted = math.ceil(GROUP_SHARE * bookkeeping * count / sending)
        return max(1, min(self.group_max, wanted))

    # ------------------------------------------------------------ sending

    def open_connection(self):
        """The provider connection: the one kept from the previous batch, or a new one."""
        if self._connection is None:
            connection_cm = email_provider(self.app).open()
            self._connection = connection_cm.__enter__()
            self._connection_cm = connection_cm
            self._group_size = 1  # a new connection: its first message goes alone
        return self._connection

    def close_connection(self):
        connection_cm, self._connection_cm, self._connection = self._connection_cm, None, None
        if connection_cm is not None:
            try:
                connection_cm.__exit__(None, None, None)
            except Exception:
                log.exception("closing the email provider connection failed")

    def send_batch(self, ids, stats):
        try:
            connection = self.open_connection()
        except (TemporaryFailure, PermanentFailure) as exc:  # the provider, not the messages
            self.pause(str(exc), stats)
            self.release()
            return
        # Kept for the next batch only when this one is full (more mail is likely due) and
        # ends without a stop, a pause or an error; otherwise closed at the end of it.
        keep = False
        session = db.session()
        # One read for the batch; a commit per group must not make each one read again.
        session.expire_on_commit = False
        try:
            order = {id_: n for n, id_ in enumerate(ids)}
            messages = sorted(
                session.scalars(sa.select(OutboxMessage).where(OutboxMessage.id.in_(ids))),
                key=lambda m: order[m.id],
            )
            paused_by, position = "", 0
            while position < len(messages) and not paused_by and not self.stop.is_set():
                group = messages[position : position + self._group_size]
                position += len(group)
                started = time.perf_counter()
                held = self.hand_over(group)
                handed = time.perf_counter()
                done = 0
                for message in held:
                    # A stop; or the claims are due for renewal (a provider turned slow):
                    # the rest of the group waits for the next hand-over, which renews them.
                    if self.stop.is_set() or time.monotonic() >= self._renew_claims_at:
                        break
                    done += 1
                    paused_by = self.send_one(connection, message, stats)
                    if paused_by:  # the provider refused or went away
                        break
                for message in held[done:]:  # handed over, never seen by the provider
                    self.unhand(message, keep_claim=True)
                if done < len(held) and not paused_by and not self.stop.is_set():
                    position = messages.index(held[done])  # in the next group, renewed
                self._group_size = self.next_group_size(
                    handed - started, time.perf_counter() - handed, done
                )
            if paused_by:
                self.pause(paused_by, stats)  # commits the outcomes first
            elif position >= len(messages):
                keep = (
                    self.keep_connection and len(ids) >= self.batch_size and not self.stop.is_set()
                )
            self.commit_outcomes()  # the last group's
        except Exception:
            # The outcomes of the group being sent are written again in a new transaction
            # (a lost database connection is replaced); if that fails too, they are lost
            # with it: the group keeps handed_at, and when its claims expire it is marked
            # unknown, never sent again.
            db.session.rollback()
            try:
                self.commit_outcomes()
            except Exception:
                db.session.rollback()
                self._outcomes.clear()
            raise
        finally:
            session.expire_on_commit = True  # release() commits: the batch's rows expire
            try:
                self.release()  # whatever is left unhanded after a stop, a pause or an error
            except Exception:
                db.session.rollback()
                log.exception("putting unsent messages back failed; their claims will expire")
            if not keep:
                self.close_connection()

    def send_one(self, connection, message, stats):
        """Hand one message over and record its outcome (committed with the next group's
        hand-over). Returns why the queue must pause when the provider itself refused or
        went away (the caller pauses it), else ""."""
        malformed = malformed_address(message.recipient)
        if malformed:
            self.fail(message, malformed, stats)
            return ""
        try:
            provider_id = connection.send(message)
        except ProviderRefused as exc:  # not delivered, and not the message's fault
            self.unhand(message, str(exc))
            return str(exc)
        except ConnectionLost as exc:
            error = str(exc) or type(exc).__name__
            self.postpone(message, error, stats)
            return error
        except TemporaryFailure as exc:
            self.postpone(message, str(exc), stats)
        except PermanentFailure as exc:
            self.fail(message, str(exc), stats)
        except Exception as exc:  # a bug, not the mail server: do not risk a duplicate
            log.exception("sending outbox message %s failed", message.id)
            self.fail(message, f"{type(exc).__name__}: {exc}", stats)
            return ""
        else:
            self.record(
                message,
                status="sent",
                sent_at=utcnow(),
                provider_id=str(provider_id or "")[:300],
                claimed_until=None,
                last_error="",
            )
            stats.sent += 1
        if self.paused:  # the provider answered for this message: it works again
            self.paused = False
            lift_pause()
            log.warning("the email provider answers again; mail is no longer paused")
        return ""

    def pause(self, reason, stats):
        self.commit_outcomes()  # the outcomes so far first, whatever happens next
        pause = pause_queue(reason, self.retry_base, self.pause_max)
        self.paused = True
        stats.provider_error, stats.paused_until = pause.reason, pause.until
        log.warning("mail paused until %s UTC: %s", f"{pause.until:%H:%M:%S}", pause.reason)

    def record(self, message, **values):
        """Record a message's outcome (written and committed with the next group's
        hand-over, or at the end of the batch, whose commit expires the loaded rows)."""
        self._outcomes.append({"outbox_id": message.id, **values})
        if "attempts" in values:  # the one column read again while the batch goes on
            set_committed_value(message, "attempts", values["attempts"])

    def unhand(self, message, error=None, keep_claim=False):
        """A message marked handed over that the provider did not take, its try not
        counted: back in the queue, with the provider's refusal as its last error; with
        `keep_claim` (the provider never saw it), still this worker's, to hand over again
        or to put back (`release`)."""
        values = dict(handed_at=None, attempts=max(0, message.attempts - 1))
        if not keep_claim:
            values.update(status="queued", claimed_by="", claimed_until=None)
        if error is not None:
            values["last_error"] = error[:1000]
        self.record(message, **values)

    def postpone(self, message, error, stats):
        if message.attempts >= self.max_attempts:
            self.fail(message, error, stats)
            return
        self.record(
            message,
            status="queued",
            last_error=error[:1000],
            handed_at=None,
            claimed_by="",
            claimed_until=None,
            due_at=utcnow() + timedelta(seconds=retry_delay(message.attempts, self.retry_base)),
        )
        stats.retried += 1

    def fail(self, message, error, stats):
        self.record(
            message, status="failed", last_error=(error or "failed")[:1000], claimed_until=None
        )
        stats.failed += 1

    def count_left(self):
        return db.session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status.in_(("queued", "sending")))
        )


def run_once(limit=None):
    """Send everything that is due, then return what happened (`sala worker --once`)."""
    return Worker(batch_size=limit).run(once=True)


# ---------------------------------------------------------------- in development

_thread_lock = threading.Lock()


def init_app(app):
    """With RUN_WORKER_IN_PROCESS (``make run`` sets SALA_RUN_WORKER_IN_PROCESS=1), the dev
    server sends mail itself: a background thread runs the worker loop.

    It starts on the first request the server handles, so it runs only in the process that
    serves pages: never in the Werkzeug reloader's watching parent, nor in `sala worker`,
    `sala shell` or other commands. Development only: in production run `sala worker`."""
    if app.config["RUN_WORKER_IN_PROCESS"]:

        @app.before_request
        def start_mail_worker():
            start_in_process(app)


def start_in_process(app, idle=2.0):
    with _thread_lock:
        if app.extensions.get("sala.worker_thread"):
            return app.extensions["sala.worker_thread"]

        def loop():
            with app.app_context():
                worker = Worker(app)
                app.extensions["sala.worker"] = worker
                worker.run(once=False, idle=idle)

        thread = threading.Thread(target=loop, name="sala-mail-worker", daemon=True)
        app.extensions["sala.worker_thread"] = thread
        thread.start()
        log.info("mail worker running inside the dev server (RUN_WORKER_IN_PROCESS)")
        return thread


# ---------------------------------------------------------------- `sala worker`


def paused_text(reason, until):
    """What `sala worker` says about a pause (the outbox page says the same)."""
    from flask_babel import gettext as _

    from ..templating import local_time, site_zone

    return _(
        "Mail is paused: the email provider refused or could not be reached (%(reason)s). "
        "Sala tries again at %(time)s; once it is fixed, 'sala mail resume' (or the "
        "outbox page) sends at once.",
        reason=reason,
        time=local_time(until, site_zone(), "medium", zone=True),
    )


class ProgressPrinter:
    """What `sala worker` prints after a round: the totals after every batch; a pause once
    (the loop polls a paused queue often), and its end."""

    def __init__(self, echo):
        self.echo = echo
        self.total = RunStats()
        self.pause = None  # (reason, until) last told

    def __call__(self, stats):
        from flask_babel import gettext as _

        if stats.claimed:
            self.total.add(stats)
            self.echo(_("Sent %(sent)d, failed %(failed)d, left %(left)d.", **vars(self.total)))
        pause = (stats.provider_error, stats.paused_until) if stats.provider_error else None
        if pause and pause != self.pause:
            self.echo(paused_text(*pause))
        elif self.pause and not pause:
            self.echo(_("Mail is no longer paused."))
        self.pause = pause


def run_worker(once=False, batch=None, idle=5.0, echo=print):
    """The `sala worker` command: progress after every batch; SIGTERM and SIGINT finish the
    message being sent, put the rest of the batch back in the queue, and end the loop."""
    import signal

    from flask_babel import gettext as _

    # A database Sala cannot use stops the command at once with the reason (app/cli.py),
    # rather than a traceback every round.
    db.session.execute(sa.select(OutboxMessage.id).limit(1))
    db.session.rollback()
    worker = Worker(batch_size=batch, on_progress=ProgressPrinter(echo))

    def stop(signum, frame):
        if not worker.stop.is_set():
            echo(_("Stopping after the current message…"))
        worker.stop.set()

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, stop)
    try:
        result = worker.run(once=once, idle=idle)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if once and not result.claimed and not result.provider_error:  # paused: it said so
        echo(_("Nothing to send."))
    return result

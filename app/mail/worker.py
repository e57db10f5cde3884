"""The mail worker: sends what the outbox holds through the configured email provider.

One round (`Worker.run_round`):

1. the plugins' ``sala_worker_tick`` (background work of other plugins);
2. expired claims are settled: a message whose worker died *before* handing it to the
   provider is queued again; one that was already handed over is marked failed, because it
   may have gone out and sending it again could make a duplicate (the organizer can retry
   it by hand from the outbox page);
3. a batch of due messages is claimed: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several
   workers never take the same row; on SQLite one claimer at a time (``BEGIN IMMEDIATE``);
4. one provider connection is opened for the batch; messages are handed over in small
   chunks: ``handed_at`` is set and committed *before* the provider sees them (at most
   once), and each result (sent, retry later with a growing delay, failed with the reason)
   is committed after.

``sala worker --once`` runs rounds until nothing is due; ``sala worker`` runs until stopped
(SIGTERM/SIGINT finish the current message, put the rest of the batch back, and exit).
"""

import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..models import OutboxMessage, utcnow
from ..plugins import hooks
from ..sqlite import take_write_lock
from .mime import PLAIN_ADDRESS
from .outbox import ConnectionLost, PermanentFailure, TemporaryFailure

log = logging.getLogger("sala.worker")

# The worker's settings (MAIL_WORKER_*, MAIL_MAX_ATTEMPTS, MAIL_RETRY_BASE_SECONDS) have
# their defaults in app/config.py.
RETRY_MAX_SECONDS = 6 * 3600

# Stored in last_error; the outbox page shows it translated.
HANDED_THEN_STOPPED = "worker stopped after handing over; not resent to avoid a duplicate"


@dataclass
class RunStats:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    claimed: int = 0
    requeued: int = 0  # expired claims put back in the queue
    left: int = 0  # queued or being sent, after the last batch
    provider_error: str = ""  # the provider could not be reached

    def add(self, other):
        for name in ("sent", "failed", "retried", "claimed", "requeued"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.left = other.left
        self.provider_error = other.provider_error


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


class Worker:
    """Sends the outbox. Needs an app context; uses that context's database session."""

    def __init__(self, app=None, name=None, batch_size=None, on_progress=None):
        self.app = app or current_app._get_current_object()
        config = self.app.config
        self.name = name or worker_name()
        self.batch_size = batch_size or config["MAIL_WORKER_BATCH"]
        self.chunk = max(1, int(config["MAIL_WORKER_HAND_CHUNK"]))
        self.claim_for = timedelta(seconds=config["MAIL_WORKER_CLAIM_SECONDS"])
        self.max_attempts = config["MAIL_MAX_ATTEMPTS"]
        self.retry_base = config["MAIL_RETRY_BASE_SECONDS"]
        self.on_progress = on_progress
        self.stop = threading.Event()

    # ------------------------------------------------------------ loops

    def run(self, once=False, idle=5.0):
        """Rounds until nothing is due (`once`) or until `self.stop` is set."""
        total = RunStats()
        while not self.stop.is_set():
            try:
                stats = self.run_round()
            except Exception:
                if once:
                    raise
                db.session.rollback()
                log.exception("mail worker round failed; trying again in %ss", idle)
                self.stop.wait(idle)
                continue
            total.add(stats)
            if stats.claimed == 0 or stats.provider_error:
                if once:
                    break
                self.stop.wait(idle)
        return total

    def run_round(self):
        """One round: the plugins' tick, expired claims, one batch of due messages."""
        try:
            hooks(self.app).sala_worker_tick(app=self.app)
        except Exception:  # a broken plugin must not stop the mail
            db.session.rollback()
            log.exception("a plugin's sala_worker_tick failed")
        stats = RunStats()
        stats.requeued = self.settle_expired_claims()
        ids = self.claim()
        stats.claimed = len(ids)
        if ids:
            self.send_batch(ids, stats)
            stats.left = self.count_left()
            if self.on_progress:
                self.on_progress(stats)
        return stats

    # ------------------------------------------------------------ claims

    def settle_expired_claims(self):
        now = utcnow()
        expired = (OutboxMessage.status == "sending", OutboxMessage.claimed_until < now)
        requeued = db.session.execute(
            sa.update(OutboxMessage)
            .where(*expired, OutboxMessage.handed_at.is_(None))
            .values(status="queued", claimed_by="", claimed_until=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        failed = db.session.execute(
            sa.update(OutboxMessage)
            .where(*expired, OutboxMessage.handed_at.is_not(None))
            .values(status="failed", last_error=HANDED_THEN_STOPPED, claimed_until=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
        if requeued or failed:
            log.warning("expired claims: %d queued again, %d marked failed", requeued, failed)
        return requeued

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
        return ids

    def release(self, error="", delay=0):
        """Put back every message this worker claimed but has not handed over."""
        values = {"status": "queued", "claimed_by": "", "claimed_until": None}
        if error:
            values["last_error"] = error[:1000]
        if delay:
            values["due_at"] = utcnow() + timedelta(seconds=delay)
        db.session.execute(
            sa.update(OutboxMessage)
            .where(
                OutboxMessage.claimed_by == self.name,
                OutboxMessage.status == "sending",
                OutboxMessage.handed_at.is_(None),
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()

    def mark_handed(self, ids):
        """Mark a chunk as handed over, and commit, before the provider sees it. Returns the
        messages this worker still holds (another worker may have settled an expired claim)."""
        now = utcnow()
        handed = db.session.scalars(
            sa.update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(ids),
                OutboxMessage.status == "sending",
                OutboxMessage.claimed_by == self.name,
                OutboxMessage.handed_at.is_(None),
            )
            .values(
                handed_at=now,
                attempts=OutboxMessage.attempts + 1,
                claimed_until=now + self.claim_for,
            )
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        ).all()
        db.session.commit()
        if not handed:
            return []
        messages = db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.id.in_(handed))
        ).all()
        return sorted(messages, key=lambda m: ids.index(m.id))

    # ------------------------------------------------------------ sending

    def send_batch(self, ids, stats):
        try:
            connection_cm = email_provider(self.app).open()
            connection = connection_cm.__enter__()
        except (TemporaryFailure, PermanentFailure) as exc:  # the provider, not the messages
            stats.provider_error = str(exc)
            log.warning("email provider unreachable: %s", exc)
            self.release(str(exc), delay=self.retry_base)
            return
        try:
            for start in range(0, len(ids), self.chunk):
                if self.stop.is_set():
                    break
                # One commit a chunk: the results of the last chunk go with this marking.
                messages = self.mark_handed(ids[start : start + self.chunk])
                lost = self.send_chunk(connection, messages, stats)
                if lost:
                    stats.provider_error = lost
                    self.release(lost, delay=self.retry_base)
                    break
            db.session.commit()
        except Exception:
            # Results not yet committed are lost with the transaction; those messages keep
            # handed_at, so when their claim expires they are marked failed, never resent.
            db.session.rollback()
            raise
        finally:
            try:
                self.release()  # whatever is left unhanded after a stop or an error
            except Exception:
                db.session.rollback()
                log.exception("putting unsent messages back failed; their claims will expire")
            try:
                connection_cm.__exit__(None, None, None)
            except Exception:
                log.exception("closing the email provider connection failed")

    def send_chunk(self, connection, messages, stats):
        """Hand each message over and record the result. Returns the error text if the
        connection was lost (the chunk's other messages are put back, not counted as tried)."""
        for index, message in enumerate(messages):
            if self.stop.is_set():  # the message before this one was the current one
                self.unhand(messages[index:])
                return ""
            malformed = malformed_address(message.recipient)
            if malformed:
                self.fail(message, malformed, stats)
                continue
            try:
                provider_id = connection.send(message)
            except ConnectionLost as exc:
                error = str(exc) or type(exc).__name__
                self.postpone(message, error, stats)
                self.unhand(messages[index + 1 :], error, delay=self.retry_base)
                return error
            except TemporaryFailure as exc:
                self.postpone(message, str(exc), stats)
            except PermanentFailure as exc:
                self.fail(message, str(exc), stats)
            except Exception as exc:  # a bug, not the mail server: do not risk a duplicate
                log.exception("sending outbox message %s failed", message.id)
                self.fail(message, f"{type(exc).__name__}: {exc}", stats)
            else:
                message.status = "sent"
                message.sent_at = utcnow()
                message.provider_id = str(provider_id or "")[:300]
                message.claimed_until = None
                message.last_error = ""
                stats.sent += 1
        return ""

    def unhand(self, messages, error="", delay=0):
        """Messages marked handed over but never given to the provider: back in the queue."""
        for message in messages:
            if error:
                message.last_error = error[:1000]
            if delay:
                message.due_at = utcnow() + timedelta(seconds=delay)
            message.status = "queued"
            message.handed_at = None
            message.attempts = max(0, message.attempts - 1)
            message.claimed_by = ""
            message.claimed_until = None

    def postpone(self, message, error, stats):
        if message.attempts >= self.max_attempts:
            self.fail(message, error, stats)
            return
        message.status = "queued"
        message.last_error = error[:1000]
        message.handed_at = None
        message.claimed_by = ""
        message.claimed_until = None
        message.due_at = utcnow() + timedelta(
            seconds=retry_delay(message.attempts, self.retry_base)
        )
        stats.retried += 1

    def fail(self, message, error, stats):
        message.status = "failed"
        message.last_error = (error or "failed")[:1000]
        message.claimed_until = None
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


def run_worker(once=False, batch=None, idle=5.0, echo=print):
    """The `sala worker` command: progress after every batch; SIGTERM and SIGINT finish the
    message being sent, put the rest of the batch back in the queue, and end the loop."""
    import signal

    from flask_babel import gettext as _

    def progress(stats):
        echo(_("Sent %(sent)d, failed %(failed)d, left %(left)d.", **vars(total_with(stats))))

    total = RunStats()

    def total_with(stats):
        total.add(stats)
        return total

    # A database Sala cannot use stops the command at once with the reason (app/cli.py),
    # rather than a traceback every round.
    db.session.execute(sa.select(OutboxMessage.id).limit(1))
    db.session.rollback()
    worker = Worker(batch_size=batch, on_progress=progress)

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
    if once and not result.claimed:
        echo(_("Nothing to send."))
    return result

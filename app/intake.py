"""Registrations and ideas as intake (issue 21.1).

A visitor's POST checks the form, stores what they sent in one INSERT (a `Submission`) and
answers at once with the same page for everyone. The worker (`sala worker`, or the dev
server's thread) turns submissions into registrations and ideas through the same domain
functions as before (`registration.domain.register`, `ideas.workflow.submit`), so every
guarantee of those stays: the same answer for a known address, the per-mailbox limit,
capacity and waitlist decided at confirmation, one mail per submission. It takes them in
batches, commits a batch at once, and deletes each submission it processed: a submission
holds personal data only for as long as it waits.

The worker is woken at once: on PostgreSQL by NOTIFY (sent in the submitting
transaction), in the dev server by an in-process event, elsewhere by a short poll.

The request knows whether registration (or the idea box) is open from a per-process cache
of the session's public facts (`facts`), emptied with the page cache (a change to what the
pages show, in this process) and at most PAGE_CACHE_SECONDS old for a change made in another. The
worker judges again by the time the visitor sent the form."""

import logging
import threading
import time
from types import SimpleNamespace

import sqlalchemy as sa
from flask import current_app
from wtforms.validators import StopValidation as _StopValidation
from wtforms.validators import ValidationError as _ValidationError

from .extensions import db
from .models import Event, Idea, Registration, Submission, Theme, utcnow
from .pagecache import also_forget
from .sqlite import take_write_lock

log = logging.getLogger(__name__)

CHANNEL = "sala_intake"
BATCH = 500  # submissions read at once
BUDGET = 0.05  # seconds of work per commit: on SQLite the write lock is held that long
MAX_ATTEMPTS = 5  # a submission that fails this often is dropped (logged, without its data)
POLL = 0.5  # seconds between looks at the table when nothing can wake the worker

SUBMISSION = Submission.__table__
_INSERT = sa.insert(SUBMISSION)

# Set by every submission stored in this process: wakes the in-process worker, and tells
# the tests' harness (tests/support.py) that there is something to process.
arrived = threading.Event()


# ---------------------------------------------------------------- the session's public facts

_facts = {}
_facts_lock = threading.Lock()

FACT_COLUMNS = (
    "id",
    "slug",
    "state",
    "starts_at",
    "ends_at",
    "registration_opens_at",
    "registration_closes_at",
    "ideas_open_at",
    "ideas_close_at",
)


def facts(slug):
    """What a POST needs to know of a public session, without a query most of the time: a
    namespace with FACT_COLUMNS (what `registration_open` and `ideas_window` read) and
    `theme_ids`; None for no public session by that slug."""
    from .events import get_public_event

    seconds = current_app.config["PAGE_CACHE_SECONDS"]
    now = time.monotonic()
    hit = _facts.get(slug)
    if hit is not None and hit[0] > now:
        return hit[1]
    event = get_public_event(slug)
    if event is None:
        return None
    found = SimpleNamespace(**{name: getattr(event, name) for name in FACT_COLUMNS})
    found.theme_ids = frozenset(theme.id for theme in event.themes)
    if seconds > 0:
        with _facts_lock:
            _facts[slug] = (now + seconds, found)
    return found


def forget_facts():
    with _facts_lock:
        _facts.clear()


also_forget(forget_facts)


# ---------------------------------------------------------------- the request's side


def store(kind, event_id, email, data):
    """Keep one submission and commit: one INSERT on a connection of its own, without the
    ORM session (a third of the request's time), unless the request's session already
    holds one (a form the real WTForms form checked): then on that one, so a request never
    holds two. On PostgreSQL the table's trigger sends the NOTIFY (`NOTIFY_TRIGGER`): one
    round trip less."""
    values = {
        "kind": kind,
        "event_id": event_id,
        "email_key": Registration.key_for(email),
        "data": data,
        "created_at": utcnow(),
        "attempts": 0,
    }
    if db.session().in_transaction():
        db.session.execute(_INSERT, values)
        db.session.commit()
    else:
        with db.engine.begin() as connection:
            connection.execute(_INSERT, values)
    arrived.set()


# On PostgreSQL, each INSERT statement into `submission` wakes the listening worker.
NOTIFY_FUNCTION = f"""
CREATE OR REPLACE FUNCTION sala_intake_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', '');
    RETURN NULL;
END $$ LANGUAGE plpgsql
"""
NOTIFY_TRIGGER = """
CREATE TRIGGER submission_notify AFTER INSERT ON submission
FOR EACH STATEMENT EXECUTE FUNCTION sala_intake_notify()
"""
sa.event.listen(
    SUBMISSION, "after_create", sa.DDL(NOTIFY_FUNCTION).execute_if(dialect="postgresql")
)
sa.event.listen(SUBMISSION, "after_create", sa.DDL(NOTIFY_TRIGGER).execute_if(dialect="postgresql"))


def forget(event_id, email=None):
    """Delete the submissions still waiting for a session (the purge), or for one address of
    it (a registrant's erasure)."""
    query = sa.delete(Submission).where(Submission.event_id == event_id)
    if email is not None:
        query = query.where(Submission.email_key == Registration.key_for(email))
    db.session.execute(query.execution_options(synchronize_session=False))


# ---------------------------------------------------------------- the worker's side


def step(batch=BATCH, budget=BUDGET):
    """Process waiting submissions for about `budget` seconds (at least one, at most
    `batch`), in one transaction; returns how many were processed. Call in an app context.

    Rows are read a few at a time as plain tuples: reading a whole batch of ORM objects to
    process the few that fit in the budget cost more than processing them."""
    session = db.session
    started = time.perf_counter()
    take_write_lock(session)  # SQLite: one worker at a time; PostgreSQL: SKIP LOCKED below
    postgres = session.get_bind().dialect.name == "postgresql"
    done, failed, events = [], [], {}
    last_id = 0
    while len(done) + len(failed) < batch:
        query = _NEXT.where(SUBMISSION.c.id > last_id).limit(CHUNK)
        if postgres:
            query = query.with_for_update(skip_locked=True)
        rows = session.execute(query).all()
        if not rows:
            break
        for row in rows:
            last_id = row.id
            if _process_safely(row, events):
                done.append(row.id)
            else:
                failed.append(row)
            if time.perf_counter() - started > budget:
                break
        if time.perf_counter() - started > budget:
            break
    if not done and not failed:
        session.rollback()
        return 0
    for row in failed:
        if row.attempts + 1 >= MAX_ATTEMPTS:
            log.error("intake: submission %s dropped after %s attempts", row.id, MAX_ATTEMPTS)
            done.append(row.id)
        else:
            session.execute(
                sa.update(SUBMISSION)
                .where(SUBMISSION.c.id == row.id)
                .values(attempts=SUBMISSION.c.attempts + 1)
            )
    if done:
        session.execute(sa.delete(SUBMISSION).where(SUBMISSION.c.id.in_(done)))
    session.commit()
    return len(done) + len(failed)


CHUNK = 16
_NEXT = sa.select(
    SUBMISSION.c.id,
    SUBMISSION.c.kind,
    SUBMISSION.c.event_id,
    SUBMISSION.c.data,
    SUBMISSION.c.created_at,
    SUBMISSION.c.attempts,
).order_by(SUBMISSION.c.id)


def _process_safely(row, events):
    """Process one submission in a savepoint of its own; False when it failed (logged
    without its data: it is personal)."""
    for _try in range(2):
        try:
            with db.session.begin_nested():
                _process(row, events)
            return True
        except sa.exc.IntegrityError:
            # The same address registered by another worker at the same moment: once
            # more, it is now a known address.
            continue
        except Exception:  # noqa: BLE001 - one bad submission must not stop the others
            log.exception("intake: submission %s failed", row.id)
            return False
    log.error("intake: submission %s failed twice on a unique key", row.id)
    return False


# A database connection lost in the middle of a step: the step's work is rolled back, and
# done again on a new connection (as the worker's next round does).
LOST = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.PendingRollbackError)


def drain(batch=BATCH, budget=BUDGET, tries=3):
    """Process until nothing waits; returns how many were processed."""
    arrived.clear()
    total = lost = 0
    while True:
        try:
            count = step(batch, budget)
        except LOST:
            db.session.rollback()
            lost += 1
            if lost == tries:
                raise
            continue
        total += count
        if count == 0:
            return total


def _event(event_id, events):
    if event_id not in events:
        events[event_id] = db.session.get(Event, event_id)
    return events[event_id]


def _process(row, events):
    event = _event(row.event_id, events)
    if event is None:
        return
    if row.kind == "registration":
        _register(event, row)
    elif row.kind == "idea":
        _idea(event, row)
    else:
        log.error("intake: submission %s of unknown kind dropped", row.id)


def _register(event, row):
    from . import ratelimit
    from .registration import domain

    # Judged by when the visitor sent the form: a click before the close counts.
    if not domain.registration_open(event, row.created_at):
        return
    data = row.data
    if not ratelimit.mailbox_may_receive(data["email"]):
        return  # this mailbox had its share of mail this hour: nothing sent, as before
    domain.register(
        event,
        email=data["email"],
        name=data["name"],
        language=data["language"],
        country=data.get("country", ""),
        affiliation=data.get("affiliation", ""),
    )


def _idea(event, row):
    from . import ratelimit
    from .ideas import workflow
    from .ideas.routes import ideas_window

    if ideas_window(event, row.created_at)[0] != "open":
        return
    data = row.data
    if not ratelimit.mailbox_may_receive(data["email"]):
        return  # its confirmation could not be mailed: nothing kept or sent, as before
    theme = None
    if data.get("theme"):
        theme = db.session.get(Theme, int(data["theme"]))
        if theme is not None and theme.event_id != event.id:
            theme = None
    idea = Idea(
        event=event,
        title=data["title"],
        body=data["body"],
        theme=theme,
        language=data["language"],
        display=data["display"],
        author_name=data.get("name", ""),
        author_email=data["email"],
    )
    workflow.submit(idea, registration=None, receipt=True)


# ---------------------------------------------------------------- waiting


def wait(stop, idle):
    """Wait up to `idle` seconds for a submission (or until `stop` is set); True when one
    may have arrived. PostgreSQL: LISTEN; in-process: the `arrived` event; otherwise a
    look at the table every POLL seconds."""
    deadline = time.monotonic() + idle
    if db.session.get_bind().dialect.name == "postgresql":
        return _listen(stop, deadline)
    while not stop.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        if arrived.wait(min(POLL, left)):
            return True
        if waiting():
            return True
    return False


def waiting():
    found = db.session.scalar(sa.select(SUBMISSION.c.id).limit(1))
    db.session.rollback()
    return found is not None


def _listen(stop, deadline):
    raw = db.engine.raw_connection()
    try:
        connection = raw.driver_connection
        connection.autocommit = True
        connection.execute(f"LISTEN {CHANNEL}")
        if waiting():
            return True
        while not stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            for _notice in connection.notifies(timeout=min(POLL, left), stop_after=1):
                return True
            if arrived.is_set():
                return True
        return False
    finally:
        try:
            raw.driver_connection.execute(f"UNLISTEN {CHANNEL}")
            raw.driver_connection.autocommit = False
        finally:
            raw.close()


# ---------------------------------------------------------------- checking a form cheaply


def passes(unbound, value):
    """Whether `value` passes the validators of a form's field (its class attribute), run
    as WTForms runs them but without building the form. Used only to say yes cheaply: on
    any doubt the view builds the real form, whose page shows the messages."""
    field = SimpleNamespace(data=value, raw_data=[value], errors=[], gettext=lambda s: s)
    for validator in getattr(unbound, "kwargs", {}).get("validators") or ():
        try:
            validator(None, field)
        except _StopValidation as stop:
            return not (stop.args and stop.args[0])
        except _ValidationError:
            return False
    return True


def text(form, name):
    """A text field as WTForms reads it from the form (the first value; "" when absent);
    None when it holds a NUL or is sent more than once (the real form judges those)."""
    values = form.getlist(name)
    if len(values) > 1:
        return None
    value = values[0] if values else ""
    return None if "\x00" in value else value

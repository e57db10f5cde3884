"""The worker side: add confirmed registrants to their Zoom meeting, cancel the cancelled,
remove the erased. Called from `sala_worker_tick`; bounded work per round; never raises.
Where each registrant stands is a ZoomRegistrant row (models.py says what each status means);
a confirmed registrant without one is waiting, like "pending"."""

import logging
import time
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.api import Registration, db, send_personal_join_link, utcnow

from .client import MEETING, WEBINAR, Settings, ZoomClient, ZoomError, split_name
from .models import (
    ZoomMeeting,
    ZoomRegistrant,
    ZoomTask,
    kind_of,
    meeting_of,
    set_kind,
    state_of,
)

log = logging.getLogger(__name__)
WAITING = ("", "pending")
WEBHOOK_MEMORY = timedelta(days=3)


def settings(app=None):
    return Settings.from_config((app or current_app).config)


def configured(app=None):
    return settings(app).complete


def make_client(app=None, **overrides):
    app = app or current_app
    sleep = app.extensions.get("zoom.sleep", time.sleep)
    return ZoomClient(Settings.from_config(app.config, **overrides), sleep=sleep)


def worker_state(app):
    """What one worker process remembers between rounds (when it last purged)."""
    return app.extensions.setdefault("zoom.state", {})


# The pause after an outage is a row (kind "pause") every worker reads, so that a second
# worker, or one restarted, leaves Zoom alone too until it is due; `attempts` counts the
# failed rounds in a row, and the pause doubles with each.
PAUSE_KEY = "pause"


class Pause(Exception):
    """Zoom is down, rate-limiting or refusing our credentials: stop this round."""

    def __init__(self, error):
        super().__init__(str(error))
        self.error = error


def tick(app):
    """One round of Zoom work. Returns the number of items handled, None when inert."""
    if not configured(app):
        return None
    if paused():
        return 0
    state = worker_state(app)
    client = make_client(app)
    limit = int(app.config["ZOOM_TICK_LIMIT"])
    # Mail waits while Zoom works: no new Zoom call starts after this.
    deadline = time.monotonic() + float(app.config["ZOOM_TICK_SECONDS"])
    handled = 0
    try:
        mark_too_late()
        handled += sync_pending(client, limit, deadline)
        handled += cancel_pending(client, max(0, limit - handled), deadline)
        handled += erase_due(client, max(0, limit - handled), deadline)
        handled += meeting_tasks_due(client, max(0, limit - handled), deadline)
        if limit - handled > 0:
            from .panelists import run_queued

            handled += run_queued(
                client, resolve_kind, limit - handled, lambda: out_of_time(deadline)
            )
        if state.get("purged_at", 0.0) < time.monotonic() - 3600:  # hourly is plenty
            purge_webhook_records()
            state["purged_at"] = time.monotonic()
    except Pause as pause:
        db.session.commit()
        delay = pause_for(app, pause.error)
        log.warning("Zoom: %s; pausing Zoom work for %.1fs", pause.error.kind, delay)
    except Exception:  # the worker must go on sending mail whatever happens here
        db.session.rollback()
        log.exception("Zoom: unexpected error in the worker round")
    else:
        resume()
    return handled


def pause_row():
    return db.session.scalar(sa.select(ZoomTask).where(ZoomTask.key == PAUSE_KEY))


def paused():
    row = pause_row()
    return row is not None and row.due_at > utcnow()


def pause_for(app, error):
    """Pause Zoom work for every worker: Zoom's Retry-After, or a wait that doubles with each
    failed round in a row, at most ZOOM_RETRY_MAX seconds. Returns the wait."""
    row = pause_row()
    if row is None:
        row = ZoomTask(kind="pause", key=PAUSE_KEY, attempts=0)
        db.session.add(row)
    base = float(app.config["ZOOM_RETRY_BASE"])
    growing = base * 2**row.attempts
    delay = min(max(error.retry_after or 0.0, growing), float(app.config["ZOOM_RETRY_MAX"]))
    row.attempts += 1
    row.due_at = utcnow() + timedelta(seconds=delay)
    row.last_error = error.kind[:500]
    try:
        db.session.commit()
    except IntegrityError:  # another worker paused at the same moment: its pause holds
        db.session.rollback()
    return delay


def resume():
    """A round without failure: the next outage starts again from the shortest pause."""
    row = pause_row()
    if row is not None:
        db.session.delete(row)
        db.session.commit()


def zoom_status():
    """A registrant's status on Zoom, "" for those without a row yet (an outer join)."""
    return sa.func.coalesce(ZoomRegistrant.status, "")


def waiting_registrations(limit, event=None, include_failed=False, now=None):
    """Confirmed registrants still without their link, oldest first. With `now`, those whose
    own backoff runs past it wait their turn (the organizer's `sala zoom sync` takes all)."""
    statuses = WAITING + (("failed",) if include_failed else ())
    query = (
        sa.select(Registration)
        .join(ZoomMeeting, Registration.event_id == ZoomMeeting.event_id)
        .outerjoin(ZoomRegistrant, ZoomRegistrant.registration_id == Registration.id)
        .where(
            Registration.status == "confirmed",
            zoom_status().in_(statuses),
            Registration.erased_at.is_(None),
            Registration.email != "",
            ZoomMeeting.meeting_id != "",
        )
        # Never tried first, then those who failed longest ago: one registrant Zoom keeps
        # failing never stands at the head of every round.
        .order_by(ZoomRegistrant.retry_at.asc().nulls_first(), Registration.id)
    )
    if event is not None:
        query = query.where(Registration.event_id == event.id)
    if now is not None:
        query = query.where(
            sa.or_(ZoomRegistrant.retry_at.is_(None), ZoomRegistrant.retry_at <= now)
        )
    if limit is not None:
        query = query.limit(limit)
    registrations = db.session.scalars(query).all()
    # Each gets a row before Zoom is asked: a cancellation meanwhile then finds it.
    for registration in registrations:
        state_of(registration)
    db.session.commit()
    return registrations


def mark_too_late():
    """Registrants whose join details went out (with the session's shared link) while their
    personal link was still being made: they keep the shared link, and the organizer sees
    why."""
    sent = (
        sa.select(Registration.id)
        .where(Registration.join_details_sent_at.is_not(None))
        .scalar_subquery()
    )
    db.session.execute(
        sa.update(ZoomRegistrant)
        .where(ZoomRegistrant.status.in_(WAITING), ZoomRegistrant.registration_id.in_(sent))
        .values(
            status="failed",
            error=_("The personal link was not ready in time: the shared link was sent."),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def resolve_kind(client, event):
    """ "meeting" or "webinar" for the session's Zoom number: as stored, else asked of Zoom
    once and stored. A number Zoom knows as neither is taken for a meeting (the calls then
    say "not found", as they always did). Raises ZoomError for anything else."""
    kind = kind_of(event)
    if kind:
        return kind
    try:
        kind, _found = client.find_kind(meeting_of(event))
    except ZoomError as exc:
        if exc.kind != "meeting_not_found":
            raise
        return MEETING
    set_kind(event, kind)
    db.session.commit()
    return kind


def stored_kind(event):
    """The kind for calls about registrants already on Zoom: before webinars were known,
    every number was a meeting."""
    return kind_of(event) or MEETING


def erase_task_kind(kind):
    return "erase-webinar" if kind == WEBINAR else "erase"


ERASE_TASKS = {"erase": MEETING, "erase-webinar": WEBINAR}


def out_of_time(deadline):
    return deadline is not None and time.monotonic() >= deadline


def sync_pending(client, limit, deadline=None):
    handled = 0
    for registration in waiting_registrations(limit, now=utcnow()):
        if out_of_time(deadline):
            break
        state = state_of(registration)
        first, last = split_name(registration.name, registration.email)
        meeting_id = meeting_of(registration.event)
        try:
            kind = resolve_kind(client, registration.event)
            # After an add whose answer never came (or a refusal), Zoom may have them already:
            # look first, so that nobody is added twice.
            answer = (
                client.find_registrant(meeting_id, registration.email, kind=kind)
                if state.attempts
                else None
            )
            if answer is None:
                answer = client.add_registrant(
                    meeting_id, registration.email, first, last, kind=kind
                )
        except ZoomError as exc:
            state.error = exc.describe()[:500]
            if exc.kind == "registrant_limited":
                back_off(state, exc)
            elif exc.kind == "unavailable":
                # Maybe Zoom, maybe this registrant: they go behind the others next round,
                # and after a timeout not before an answer still on its way has landed.
                late = client.settings.timeout if exc.status == 0 else 0.0
                state.attempts = (state.attempts or 0) + 1
                state.retry_at = utcnow() + timedelta(seconds=late)
            if exc.kind == "registrant_limited":
                db.session.commit()  # this registrant waits; the others go on
                handled += 1
                continue
            if exc.temporary:
                raise Pause(exc) from exc
            state.status = "failed"
            db.session.commit()
            handled += 1
            continue
        store_link(registration, answer or {})
        db.session.commit()
        handled += 1
    return handled


def back_off(state, error):
    """This registrant waits on their own: ZOOM_REGISTRANT_RETRY seconds (or Zoom's
    Retry-After), twice as long after each failure in a row, at most a day. Meanwhile the
    worker takes the next registrants first."""
    base = float(current_app.config["ZOOM_REGISTRANT_RETRY"])
    delay = min(max(error.retry_after or 0.0, base * 2 ** (state.attempts or 0)), 86400.0)
    state.attempts = (state.attempts or 0) + 1
    state.retry_at = utcnow() + timedelta(seconds=delay)


def store_link(registration, answer, waiting=WAITING):
    """Save Zoom's answer, unless the registration changed meanwhile (cancelled or erased
    while we were asking Zoom): then undo on Zoom what was just done."""
    state = state_of(registration)
    join_url, registrant_id = answer.get("join_url") or "", answer.get("registrant_id") or ""
    if not join_url or not registrant_id:
        state.status = "failed"
        state.error = _(
            "Zoom gave no personal join link: the meeting approves registrants by hand."
        )
        if registrant_id and kind_of(registration.event) == WEBINAR:
            state.error = _(
                "Zoom gave no personal join link: the webinar approves registrants by hand. "
                "In Zoom, set its registration to approve automatically."
            )
        return False
    still_wanted = (
        sa.select(Registration.id)
        .where(
            Registration.id == registration.id,
            Registration.status == "confirmed",
            Registration.erased_at.is_(None),
        )
        .exists()
    )
    updated = db.session.execute(
        sa.update(ZoomRegistrant)
        .where(
            ZoomRegistrant.registration_id == registration.id,
            ZoomRegistrant.status.in_(waiting),
            still_wanted,
        )
        .values(
            join_url=join_url[:1000],
            registrant_id=registrant_id[:100],
            status="synced",
            error="",
            attempts=0,
            retry_at=None,
        )
        .execution_options(synchronize_session="fetch")
    )
    if updated.rowcount:
        if registration.join_details_sent_at is not None:
            # They have the shared link already (it went out while theirs was being made, or
            # before the meeting was set): one mail with their own.
            db.session.refresh(state)
            send_personal_join_link(registration)
        return True
    db.session.refresh(registration)
    db.session.refresh(state)
    if state.status == "erased" or registration.erased_at:
        queue_erase(
            meeting_of(registration.event),
            registrant_id,
            registration.id,
            kind=stored_kind(registration.event),
        )
    elif registration.status == "cancelled" or state.status in ("cancelled", "cancel_pending"):
        state.registrant_id = registrant_id[:100]
        state.status = "cancel_pending"
    return False


def cancel_pending(client, limit, deadline=None):
    if limit <= 0:
        return 0
    rows = db.session.scalars(
        sa.select(ZoomRegistrant)
        .join(Registration, Registration.id == ZoomRegistrant.registration_id)
        .where(ZoomRegistrant.status == "cancel_pending")
        .order_by(Registration.event_id, Registration.id)
        .limit(limit)
    ).all()
    by_meeting = {}
    for state in rows:
        event = state.registration.event
        by_meeting.setdefault((meeting_of(event), stored_kind(event)), []).append(state)
    handled = 0
    for (meeting_id, kind), states in by_meeting.items():
        for start in range(0, len(states), 30):
            if out_of_time(deadline):
                return handled
            chunk = states[start : start + 30]
            error = ""
            if meeting_id:
                try:
                    client.cancel_registrants(
                        meeting_id,
                        [{"id": s.registrant_id, "email": s.registration.email} for s in chunk],
                        kind=kind,
                    )
                except ZoomError as exc:
                    if exc.temporary:
                        for s in chunk:
                            s.error = exc.describe()[:500]
                        raise Pause(exc) from exc
                    if exc.kind not in ("meeting_not_found", "meeting_over") and exc.status != 404:
                        error = exc.describe()[:500]
            for s in chunk:
                s.status, s.join_url, s.error = "cancelled", "", error
            db.session.commit()
            handled += len(chunk)
    return handled


def queue_erase(meeting_id, registrant_id, registration_id, kind=MEETING):
    """Remember to delete a registrant from a Zoom meeting or webinar (their email is being
    erased)."""
    if not (meeting_id and registrant_id):
        return
    key = f"erase:{meeting_id}:{registrant_id}"[:100]
    if db.session.scalar(sa.select(ZoomTask.id).where(ZoomTask.key == key)):
        return
    db.session.add(
        ZoomTask(
            kind=erase_task_kind(kind), key=key, meeting_id=meeting_id, registrant_id=registrant_id
        )
    )


def erase_due(client, limit, deadline=None):
    if limit <= 0:
        return 0
    tasks = db.session.scalars(
        sa.select(ZoomTask)
        .where(ZoomTask.kind.in_(ERASE_TASKS), ZoomTask.due_at <= utcnow())
        .order_by(ZoomTask.due_at, ZoomTask.id)
        .limit(limit)
    ).all()
    handled = 0
    max_attempts = int(current_app.config["ZOOM_ERASE_MAX_ATTEMPTS"])
    for task in tasks:
        if out_of_time(deadline):
            break
        try:
            client.delete_registrant(
                task.meeting_id, task.registrant_id, kind=ERASE_TASKS[task.kind]
            )
        except ZoomError as exc:
            if exc.temporary:
                task.attempts += 1
                task.last_error = exc.describe()[:500]
                if task.attempts >= max_attempts:
                    log.warning(
                        "Zoom: giving up removing a registrant (task %s): %s", task.id, exc.kind
                    )
                    db.session.delete(task)
                else:
                    task.due_at = utcnow() + timedelta(minutes=2**task.attempts)
                raise Pause(exc) from exc
            if exc.kind not in ("meeting_not_found", "meeting_over") and exc.status != 404:
                # The kind, not Zoom's message: it may quote the registrant's address.
                log.warning(
                    "Zoom: could not remove a registrant (task %s): %s (HTTP %s)",
                    task.id,
                    exc.kind,
                    exc.status,
                )
        db.session.delete(task)  # done, or nothing left to remove: forget them
        db.session.commit()
        handled += 1
    return handled


MEETING_TASKS = ("meeting_update", "meeting_delete")


def queue_meeting_task(kind, meeting_id):
    """Remember to move (kind "meeting_update") or delete ("meeting_delete") a meeting on
    Zoom; the worker does it. One task per meeting and kind: moved twice, the meeting is
    PATCHed once, to the latest time. A deletion makes a pending move moot."""
    key = f"{kind}:{meeting_id}"[:100]
    task = db.session.scalar(sa.select(ZoomTask).where(ZoomTask.key == key))
    if task is None:
        db.session.add(ZoomTask(kind=kind, key=key, meeting_id=meeting_id, attempts=0))
    else:
        task.due_at, task.attempts, task.last_error = utcnow(), 0, ""
    if kind == "meeting_delete":
        db.session.execute(
            sa.delete(ZoomTask).where(ZoomTask.key == f"meeting_update:{meeting_id}"[:100])
        )


def zoom_start_time(value):
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def meeting_tasks_due(client, limit, deadline=None):
    """PATCH moved meetings to their session's time, delete cancelled sessions' meetings.
    A temporary failure (429, 5xx, network) keeps the task, due again later, and pauses
    Zoom work like any outage; a meeting Zoom no longer knows is forgotten."""
    if limit <= 0:
        return 0
    tasks = db.session.scalars(
        sa.select(ZoomTask)
        .where(ZoomTask.kind.in_(MEETING_TASKS), ZoomTask.due_at <= utcnow())
        .order_by(ZoomTask.due_at, ZoomTask.id)
        .limit(limit)
    ).all()
    handled = 0
    for task in tasks:
        if out_of_time(deadline):
            break
        meeting = db.session.scalar(
            sa.select(ZoomMeeting).where(ZoomMeeting.meeting_id == task.meeting_id).limit(1)
        )
        kind = (meeting.kind if meeting is not None else "") or MEETING
        try:
            if task.kind == "meeting_delete":
                client.delete_meeting(task.meeting_id, kind)
            elif meeting is not None:
                event = meeting.event
                client.update_meeting(
                    task.meeting_id,
                    zoom_start_time(event.starts_at),
                    event.duration_minutes,
                    event.timezone,
                    kind,
                )
        except ZoomError as exc:
            if exc.temporary:
                task.attempts += 1
                task.last_error = exc.describe()[:500]
                task.due_at = utcnow() + timedelta(minutes=min(2**task.attempts, 60))
                raise Pause(exc) from exc
            log.warning(
                "Zoom: %s of a meeting (task %s) refused: %s (HTTP %s)",
                task.kind,
                task.id,
                exc.kind,
                exc.status,
            )
        if task.kind == "meeting_delete" and meeting is not None:
            meeting.meeting_id = ""  # gone on Zoom: nothing more is done with it
        db.session.delete(task)
        db.session.commit()
        handled += 1
    return handled


def purge_webhook_records():
    db.session.execute(
        sa.delete(ZoomTask).where(
            ZoomTask.kind == "webhook", ZoomTask.created_at < utcnow() - WEBHOOK_MEMORY
        )
    )
    db.session.commit()


# ---------------------------------------------------------------- batch sync (the CLI)


def batch_sync(client, event, progress=None, batches=True, kind=None):
    """Bring the event's confirmed registrants onto its meeting, 30 a call (one by one when
    `batches` is false: Zoom batches scheduled meetings only). Skips those already synced,
    so it is safe to run again. Returns (synced, failed) counts."""
    registrations = waiting_registrations(None, event=event, include_failed=True)
    meeting_id = meeting_of(event)
    kind = kind or stored_kind(event)
    synced = failed = 0
    size = 30 if batches else 1
    for start in range(0, len(registrations), size):
        chunk = registrations[start : start + size]
        people = []
        for r in chunk:
            first, last = split_name(r.name, r.email)
            person = {"email": r.email, "first_name": first}
            if last:
                person["last_name"] = last
            people.append(person)
        try:
            if batches:
                answer = client.add_registrants_batch(meeting_id, people, kind=kind) or {}
            else:
                one = client.add_registrant(meeting_id, **people[0], kind=kind) or {}
                answer = {"registrants": [{**one, "email": people[0]["email"]}]}
        except ZoomError as exc:
            if exc.temporary:
                for r in chunk:
                    state_of(r).error = exc.describe()[:500]
                db.session.commit()
                raise
            for r in chunk:
                state = state_of(r)
                state.status, state.error = "failed", exc.describe()[:500]
            db.session.commit()
            failed += len(chunk)
            if progress:
                progress(len(chunk))
            continue
        found = {
            (item.get("email") or "").lower(): item for item in answer.get("registrants") or []
        }
        for r in chunk:
            item = found.get(r.email_key or r.email.lower())
            if item and store_link(r, item, waiting=WAITING + ("failed",)):
                synced += 1
            else:
                state = state_of(r)
                if state.status in WAITING + ("failed",):
                    state.status = "failed"
                    state.error = state.error or _("Zoom's answer did not include this registrant.")
                failed += 1
        db.session.commit()
        if progress:
            progress(len(chunk))
    return synced, failed

"""Speakers as a webinar's panelists: each speaker with an email address is added to the
session's Zoom webinar as a panelist, and mailed their own panelist link (in their mail
language). Run by `sala zoom panelists SESSION`; safe to run again: only new speakers are
added, only new links mailed, and speakers removed (or whose address changed) are taken off
the webinar. A speaker's address is personal data: it goes to Zoom and into the mail, never
into a log line or this plugin's tables (which keep a hash, to notice a change)."""

import hashlib
import logging
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from app.api import db, enqueue, speakers_of, utcnow

from .client import WEBINAR, ZoomError
from .models import ZoomPanelist, ZoomTask, kind_of, meeting_of

log = logging.getLogger(__name__)
BATCH = 30  # Zoom takes at most 30 panelists a call


def address_key(email):
    return hashlib.sha256((email or "").strip().lower().encode()).hexdigest()


@dataclass
class Outcome:
    """What happened to one speaker, for the organizer."""

    speaker: object
    status: str  # "mailed", "unchanged", "no_email", "failed"
    error: str = ""


def rows_of(event):
    return db.session.scalars(
        sa.select(ZoomPanelist).where(ZoomPanelist.event_id == event.id).order_by(ZoomPanelist.id)
    ).all()


def display_name(speaker):
    return (speaker.text("name", speaker.mail_language_or_default()) or "")[:64]


def sync_panelists(client, event):
    """Bring the webinar's panelists in step with the session's speakers and mail new links.
    Returns one Outcome per speaker. Raises ZoomError when Zoom fails for good or for now
    (what was done so far is kept: run it again)."""
    webinar_id = meeting_of(event)
    speakers = speakers_of(event)
    by_id = {s.id: s for s in speakers}
    rows = {}
    for row in rows_of(event):
        speaker = by_id.get(row.speaker_id)
        if speaker is None or row.address_key != address_key(speaker.email) or not speaker.email:
            remove(client, webinar_id, row)  # no longer a speaker, or another address
            continue
        rows[speaker.id] = row
    db.session.commit()

    wanted = [s for s in speakers if s.email and rows.get(s.id) is None]
    wanted += [s for s in speakers if s.email and s.id in rows and rows[s.id].status != "added"]
    for start in range(0, len(wanted), BATCH):
        chunk = wanted[start : start + BATCH]
        for speaker in chunk:
            row = rows.get(speaker.id)
            if row is None:
                row = ZoomPanelist(
                    event_id=event.id,
                    speaker_id=speaker.id,
                    status="pending",
                    address_key=address_key(speaker.email),
                    panelist_id="",
                    join_url="",
                    mailed_url="",
                    error="",
                )
                db.session.add(row)
                rows[speaker.id] = row
        db.session.commit()
        try:
            client.add_panelists(
                webinar_id, [{"email": s.email, "name": display_name(s)} for s in chunk]
            )
        except ZoomError as exc:
            for speaker in chunk:
                rows[speaker.id].status = "failed"
                rows[speaker.id].error = exc.describe()[:500]
            db.session.commit()
            raise

    # Zoom answers an add without links: each panelist's own link is in the list.
    on_zoom = {}
    if rows:
        for panelist in client.list_panelists(webinar_id):
            on_zoom[(panelist.get("email") or "").strip().lower()] = panelist
    outcomes = []
    for speaker in speakers:
        if not speaker.email:
            outcomes.append(Outcome(speaker, "no_email"))
            continue
        row = rows[speaker.id]
        found = on_zoom.get(speaker.email.strip().lower())
        if found is None or not found.get("join_url"):
            row.status = "failed"
            row.error = _("Zoom's list of panelists does not include this speaker.")
            outcomes.append(Outcome(speaker, "failed", row.error))
            continue
        row.status, row.error = "added", ""
        row.panelist_id = str(found.get("id") or "")[:100]
        row.join_url = found["join_url"][:1000]
        if row.mailed_url == row.join_url:
            outcomes.append(Outcome(speaker, "unchanged"))
            continue
        mail_link(event, speaker, row)
        outcomes.append(Outcome(speaker, "mailed"))
    db.session.commit()
    return outcomes


def mail_link(event, speaker, row):
    """The speaker's own panelist link, in their mail language; once per link."""
    link_key = hashlib.sha256(row.join_url.encode()).hexdigest()[:16]
    enqueue(
        "zoom/panelist_link",
        to=speaker.email,
        language=speaker.mail_language_or_default(),
        key=f"zoom-panelist-{event.id}-{speaker.id}-{link_key}",
        context={"speaker": speaker, "join_url": row.join_url, "passcode": event.join_passcode},
        event=event,
    )
    row.mailed_url = row.join_url


def remove(client, webinar_id, row):
    """Take a panelist Sala added off the webinar, and forget them."""
    if row.panelist_id:
        try:
            client.remove_panelist(webinar_id, row.panelist_id)
        except ZoomError as exc:
            if exc.temporary:
                raise
            if exc.kind != "meeting_not_found" and exc.status != 404:
                log.warning("Zoom: could not remove a panelist (row %s): %s", row.id, exc.kind)
    db.session.delete(row)


# ---------------------------------------------------------------- the organizer's button


def task_key(event):
    return f"panelists:{event.id}"


def queue(event):
    """Ask the worker to run the panelist sync for this webinar; False when the session's
    number is known not to be a webinar. Asking twice before it ran is asking once."""
    if not meeting_of(event) or kind_of(event) not in ("", WEBINAR):
        return False
    if db.session.scalar(sa.select(ZoomTask.id).where(ZoomTask.key == task_key(event))) is None:
        db.session.add(
            ZoomTask(kind="panelists", key=task_key(event), meeting_id=meeting_of(event))
        )
    return True


def queued(event):
    return (
        db.session.scalar(sa.select(ZoomTask.id).where(ZoomTask.key == task_key(event))) is not None
    )


def run_queued(client, resolve_kind, limit, deadline_passed):
    """The worker's part: each queued session's panelists, one session a call to Zoom's
    batch at a time. A temporary Zoom failure leaves the task for a later round (raised);
    anything else ends it, with the reason on the speakers' rows or in the log."""
    from app.api import Event

    tasks = db.session.scalars(
        sa.select(ZoomTask)
        .where(ZoomTask.kind == "panelists", ZoomTask.due_at <= utcnow())
        .order_by(ZoomTask.id)
        .limit(limit)
    ).all()
    handled = 0
    for task in tasks:
        if deadline_passed():
            break
        event = db.session.get(Event, int(task.key.split(":", 1)[1]))
        try:
            if event is not None and resolve_kind(client, event) == WEBINAR:
                sync_panelists(client, event)
        except ZoomError as exc:
            if exc.temporary:
                task.attempts += 1
                task.last_error = exc.kind
                db.session.commit()
                raise
            log.warning(
                "Zoom: panelists of session %s: %s (HTTP %s)", task.key, exc.kind, exc.status
            )
        db.session.delete(task)
        db.session.commit()
        handled += 1
    return handled


def forget(event):
    """A purged session: its panelists' links go (Zoom's copy ends with the webinar)."""
    db.session.execute(sa.delete(ZoomPanelist).where(ZoomPanelist.event_id == event.id))

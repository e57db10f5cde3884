"""Zoom: a personal join link for every registrant, kept in sync, attendance back from Zoom.

Settings (instance/config.py or SALA_* variables; see docs/zoom.md): ZOOM_ACCOUNT_ID,
ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET, ZOOM_WEBHOOK_SECRET, and per session the meeting id (a
field this plugin adds to the organizer's session form). Without credentials, or for a
session without a meeting id, the plugin does nothing: no calls, and the core sends the
session's shared link. Its state is in its own tables (models.py), made and upgraded by its
own migrations (migrations/, applied by `sala init`).

No network call ever happens in a web request: the hooks only mark registrations, and
`sala_worker_tick` talks to Zoom.
"""

from pathlib import Path

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import StringField
from wtforms.validators import Length

from app.api import (
    JOIN_PENDING,
    EventFormField,
    JoinDetails,
    PersonalDataShare,
    Registration,
    db,
    hookimpl,
)

from . import sync
from .client import WEBINAR
from .models import ZoomRegistrant, kind_of, meeting_of, set_meeting, state_of

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


@hookimpl
def sala_migration_dirs():
    return [MIGRATIONS]


@hookimpl
def sala_config_defaults():
    return {
        "ZOOM_ACCOUNT_ID": "",
        "ZOOM_CLIENT_ID": "",
        "ZOOM_CLIENT_SECRET": "",
        "ZOOM_WEBHOOK_SECRET": "",
        "ZOOM_API_BASE": "https://api.zoom.us/v2",
        "ZOOM_OAUTH_URL": "https://zoom.us/oauth/token",
        # The Zoom user who hosts meetings made by `sala zoom create-meeting` (email or id).
        "ZOOM_HOST_USER": "",
        "ZOOM_TIMEOUT": 10,  # seconds, on every call
        "ZOOM_RETRIES": 3,  # quick retries inside one call (429, 5xx, network)
        "ZOOM_RETRY_BASE": 1.0,  # seconds; doubles on each retry
        "ZOOM_MAX_INLINE_WAIT": 5.0,  # longer waits end the worker round instead
        "ZOOM_RETRY_MAX": 600,  # the longest pause of Zoom work after failures, seconds
        "ZOOM_TICK_LIMIT": 20,  # registrants handled per worker round
        # Seconds of Zoom work per worker round (no call starts after them): the round's
        # mail is sent after it, so a slow Zoom never holds confirmations up for long.
        "ZOOM_TICK_SECONDS": 10,
        # A registrant Zoom failed to add waits this long (doubling, at most a day) while
        # the others are added: one registrant never holds up everyone.
        "ZOOM_REGISTRANT_RETRY": 300,
        "ZOOM_ERASE_MAX_ATTEMPTS": 12,
        "ZOOM_WEBHOOK_TOLERANCE": 300,  # seconds a webhook timestamp may be off
    }


@hookimpl
def sala_event_form_fields(event):
    field = StringField(
        _l("Zoom meeting ID"),
        validators=[
            Length(max=64, message=_l("The meeting ID can have at most %(max)d characters."))
        ],
    )
    hint = _l(
        "The Zoom plugin registers each person for this meeting and sends them a personal link."
    )
    # A duplicated session gets no meeting ID: it needs a meeting of its own.
    return [
        EventFormField("meeting_id", field, value=meeting_of(event), hint=hint, duplicated=False)
    ]


@hookimpl
def sala_event_form_saved(event, data):
    if "meeting_id" not in data:
        return None
    meeting_id = (data["meeting_id"] or "").strip()
    if meeting_id == meeting_of(event):
        return []
    set_meeting(event, meeting_id)
    return ["meeting_id"]


def _active_for(event):
    return event is not None and sync.configured() and bool(meeting_of(event))


@hookimpl
def sala_attendance_known(event):
    """The webhook marks who joined the meeting (webhook.participant_joined)."""
    if _active_for(event) and current_app.config.get("ZOOM_WEBHOOK_SECRET"):
        return True
    return None


@hookimpl
def sala_personal_data_shared(event):
    """sync.sync_pending adds each confirmed registrant to the meeting on Zoom, with their
    email and name (split into first and last), which Zoom needs to make a personal link."""
    if not sync.configured() or (event is not None and not meeting_of(event)):
        return None
    return [
        PersonalDataShare(
            recipient="Zoom",
            data=("name", "email"),
            purpose=_l("to create your personal join link"),
            policy_url="https://www.zoom.com/en/trust/privacy/",
        )
    ]


@hookimpl
def sala_registration_confirmed(registration):
    if registration.status != "confirmed" or not _active_for(registration.event):
        return None
    state = state_of(registration)
    if state.status not in ("synced", "cancel_pending"):
        state.status, state.error = "pending", ""
    elif state.status == "cancel_pending":
        # Confirmed again before the cancellation reached Zoom: keep the link.
        state.status = "synced"
    return None


@hookimpl
def sala_registration_cancelled(registration):
    state = state_of(registration, create=False)
    if state is None:
        return None
    if state.status == "synced" and state.registrant_id:
        state.status = "cancel_pending"
    elif state.status in ("", "pending", "failed"):
        # Not on Zoom (if the worker is adding them right now, it sees this and cancels).
        state.status = "cancelled" if state.status else ""
    return None


@hookimpl
def sala_registration_erased(registration):
    """The email is about to be erased: keep only Zoom's registrant id, to remove them from
    the meeting in the worker, and drop the personal link."""
    state = state_of(registration, create=False)
    if state is None:
        return None
    if state.registrant_id and registration.event is not None:
        sync.queue_erase(
            meeting_of(registration.event),
            state.registrant_id,
            registration.id,
            kind=sync.stored_kind(registration.event),
        )
    state.status = "erased"
    state.join_url, state.registrant_id, state.error = "", "", ""
    return None


@hookimpl
def sala_event_purged(event):
    """The session's panelist links go with its other personal data."""
    from .panelists import forget

    forget(event)


@hookimpl
def sala_event_rescheduled(event, old):
    """The worker PATCHes the meeting to the session's new time (sync.meeting_tasks_due)."""
    if _active_for(event):
        sync.queue_meeting_task("meeting_update", meeting_of(event))
    return None


@hookimpl
def sala_event_cancelled(event):
    """The worker deletes the session's meeting on Zoom (sync.meeting_tasks_due)."""
    if _active_for(event):
        sync.queue_meeting_task("meeting_delete", meeting_of(event))
    return None


@hookimpl
def sala_join_details(registration):
    event = registration.event
    if not meeting_of(event):
        return None
    if not sync.configured():
        return shared_details(event)
    state = state_of(registration, create=False)
    status = state.status if state is not None else ""
    if status == "synced" and state.join_url:
        return JoinDetails(
            url=state.join_url,
            passcode=event.join_passcode,
            meeting_id=meeting_of(event),
            personal=True,
        )
    if status in sync.WAITING and registration.status == "confirmed":
        if registration.join_details_sent_at is not None:
            return shared_details(event)  # sent before the link was ready: keep to it
        return JOIN_PENDING
    return shared_details(event)  # failed, cancelled: the session's shared link


def shared_details(event):
    """The session's shared link, with the meeting id people may type into Zoom."""
    return JoinDetails(
        url=event.join_url, passcode=event.join_passcode, meeting_id=meeting_of(event)
    )


@hookimpl
def sala_worker_tick(app):
    return sync.tick(app)


@hookimpl
def sala_blueprints():
    from .admin import bp as admin_bp
    from .webhook import bp

    return [bp, admin_bp]


@hookimpl
def sala_cli_commands():
    from .cli import zoom_group

    return [zoom_group]


def event_summary(event):
    """Counts for the organizer: synced, pending, failed (with who and why), attended."""
    status = sync.zoom_status()
    confirmed = (
        sa.select(status, sa.func.count())
        .select_from(Registration)
        .outerjoin(ZoomRegistrant, ZoomRegistrant.registration_id == Registration.id)
        .where(Registration.event_id == event.id, Registration.status == "confirmed")
        .group_by(status)
    )
    counts = dict(db.session.execute(confirmed).all())
    failed = db.session.execute(
        sa.select(Registration, ZoomRegistrant.error)
        .join(ZoomRegistrant, ZoomRegistrant.registration_id == Registration.id)
        .where(
            Registration.event_id == event.id,
            Registration.status == "confirmed",
            ZoomRegistrant.status == "failed",
        )
        .order_by(Registration.id)
    ).all()
    attended = db.session.scalar(
        sa.select(sa.func.count()).where(
            Registration.event_id == event.id, Registration.attended.is_(True)
        )
    )
    return {
        "synced": counts.get("synced", 0),
        "pending": counts.get("pending", 0) + counts.get("", 0),
        "failed": failed,
        "attended": attended or 0,
    }


def panelist_summary(event):
    """[(speaker, status, error)] for the organizer: "mailed" (on Zoom, link mailed),
    "failed", "no_email", or "" (not sent to Zoom yet)."""
    from app.api import speakers_of

    from .panelists import address_key, rows_of

    rows = {row.speaker_id: row for row in rows_of(event)}
    summary = []
    for speaker in speakers_of(event):
        row = rows.get(speaker.id)
        if not speaker.email:
            summary.append((speaker, "no_email", ""))
        elif row is None or row.address_key != address_key(speaker.email):
            summary.append((speaker, "", ""))
        elif row.status == "added" and row.mailed_url == row.join_url:
            summary.append((speaker, "mailed", ""))
        else:
            summary.append((speaker, "failed" if row.status == "failed" else "", row.error))
    return summary


def panelists_queued(event):
    from .panelists import queued

    return queued(event)


def registrant_note(registration):
    """In the organizer's registrants table: who got the shared link instead of their own."""
    state = state_of(registration, create=False)
    if state is None or state.status != "failed":
        return None
    return Markup('<br><span class="error small">{}</span>').format(_("shared link sent"))


@hookimpl
def sala_template_slot(slot, context):
    if slot == "registrant_join":
        return registrant_note(context["registration"])
    if slot != "admin_event":
        return None
    event = context.get("event")
    meeting_id = meeting_of(event)
    if not meeting_id:
        return None
    kind = kind_of(event)
    return Markup(
        render_template(
            "zoom/admin_event.html",
            event=event,
            meeting_id=meeting_id,
            kind=kind,
            panelists=panelist_summary(event) if kind == WEBINAR else None,
            panelists_queued=panelists_queued(event),
            summary=event_summary(event),
            configured=sync.configured(),
            webhook=bool(current_app.config.get("ZOOM_WEBHOOK_SECRET")),
        )
    )

"""Zoom: a personal join link for every registrant, kept in sync, attendance back from Zoom.

Settings (instance/config.py or SALA_* variables; see docs/zoom.md): ZOOM_ACCOUNT_ID,
ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET, ZOOM_WEBHOOK_SECRET, and per session the meeting id
(`Event.meeting_id`). Without credentials, or for a session without a meeting id, the plugin
does nothing: no calls, and the core sends the session's shared link.

No network call ever happens in a web request: the hooks only mark registrations, and
`sala_worker_tick` talks to Zoom.
"""

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app.api import JOIN_PENDING, JoinDetails, PersonalDataShare, Registration, db, hookimpl

from . import sync
from .models import ZoomTask  # noqa: F401  (the table must be known to db.create_all)


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
        "ZOOM_ERASE_MAX_ATTEMPTS": 12,
        "ZOOM_WEBHOOK_TOLERANCE": 300,  # seconds a webhook timestamp may be off
    }


def _active_for(event):
    return event is not None and bool(event.meeting_id) and sync.configured()


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
    if not sync.configured() or (event is not None and not event.meeting_id):
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
    if registration.join_status not in ("synced", "cancel_pending"):
        registration.join_status, registration.join_error = "pending", ""
    elif registration.join_status == "cancel_pending":
        # Confirmed again before the cancellation reached Zoom: keep the link.
        registration.join_status = "synced"
    return None


@hookimpl
def sala_registration_cancelled(registration):
    if registration.join_status == "synced" and registration.join_ref:
        registration.join_status = "cancel_pending"
    elif registration.join_status in ("", "pending", "failed"):
        # Not on Zoom (if the worker is adding them right now, it sees this and cancels).
        registration.join_status = "cancelled" if registration.join_status else ""
    return None


@hookimpl
def sala_registration_erased(registration):
    """The email is about to be erased: keep only Zoom's registrant id, to remove them from
    the meeting in the worker, and drop the personal link."""
    if registration.join_ref and registration.event is not None:
        sync.queue_erase(registration.event.meeting_id, registration.join_ref, registration.id)
    if registration.join_status or registration.join_ref:
        registration.join_status = "erased"
    registration.join_url, registration.join_ref, registration.join_error = "", "", ""
    return None


@hookimpl
def sala_join_details(registration):
    event = registration.event
    if not _active_for(event):
        return None
    if registration.join_status == "synced" and registration.join_url:
        return JoinDetails(
            url=registration.join_url,
            passcode=event.join_passcode,
            meeting_id=event.meeting_id,
            personal=True,
        )
    if registration.join_status in sync.WAITING and registration.status == "confirmed":
        return JOIN_PENDING
    return None  # failed, cancelled: the session's shared link


@hookimpl
def sala_worker_tick(app):
    return sync.tick(app)


@hookimpl
def sala_blueprints():
    from .webhook import bp

    return [bp]


@hookimpl
def sala_cli_commands():
    from .cli import zoom_group

    return [zoom_group]


def event_summary(event):
    """Counts for the organizer: synced, pending, failed (with who), attended."""
    rows = db.session.execute(
        sa.select(Registration.join_status, sa.func.count())
        .where(Registration.event_id == event.id, Registration.status == "confirmed")
        .group_by(Registration.join_status)
    ).all()
    counts = dict(rows)
    failed = db.session.scalars(
        sa.select(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.status == "confirmed",
            Registration.join_status == "failed",
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


@hookimpl
def sala_template_slot(slot, context):
    if slot != "admin_event":
        return None
    event = context.get("event")
    if event is None or not event.meeting_id:
        return None
    return Markup(
        render_template(
            "zoom/admin_event.html",
            event=event,
            summary=event_summary(event),
            configured=sync.configured(),
            webhook=bool(current_app.config.get("ZOOM_WEBHOOK_SECRET")),
        )
    )

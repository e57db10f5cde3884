"""Helpers for the Zoom tests: rows made directly, as registration (and the organizer's
session form) would make them; the plugin's own state read back from its tables."""

from world import ZOOM_MEETING, make_event

from app.extensions import db
from app.models import Registration, utcnow
from plugins.zoom.models import ZoomRegistrant, set_meeting

WEBHOOK_SECRET = "webhook-secret-for-tests"
NO_STATE = ZoomRegistrant(status="", join_url="", registrant_id="", error="")


def zoom_event(meeting_id="", **columns):
    """A session shaped as a Zoom meeting (world.ZOOM_MEETING), with the plugin's meeting ID."""
    event = make_event(ZOOM_MEETING, **columns)
    if meeting_id:
        set_meeting(event, meeting_id)
        db.session.commit()
    return event


def make_registration(
    event, email, name="", status="confirmed", zoom_status="", registrant_id="", **values
):
    registration = Registration(
        event=event,
        email=email,
        email_key=Registration.key_for(email),
        name=name,
        status=status,
        confirmed_at=utcnow() if status == "confirmed" else None,
        **values,
    )
    db.session.add(registration)
    db.session.flush()
    if zoom_status or registrant_id:
        db.session.add(
            ZoomRegistrant(
                registration_id=registration.id,
                status=zoom_status,
                join_url="",
                registrant_id=registrant_id,
                error="",
            )
        )
        db.session.flush()
    return registration


def zoom_state(registration):
    """Where the registrant stands on Zoom, as stored now (an empty state without a row)."""
    row = db.session.get(ZoomRegistrant, registration.id, populate_existing=True)
    return row if row is not None else NO_STATE

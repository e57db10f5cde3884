"""Helpers for the Zoom tests: rows made directly, as registration would make them. (Their
session: `make_event(ZOOM_MEETING, meeting_id=...)` from world.py.)"""

from app.extensions import db
from app.models import Registration, utcnow

WEBHOOK_SECRET = "webhook-secret-for-tests"


def make_registration(event, email, name="", status="confirmed", **values):
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
    return registration

"""Helpers for the Zoom tests: rows made directly, as registration would make them."""

from datetime import timedelta

from app.extensions import db
from app.models import Event, Registration, utcnow

WEBHOOK_SECRET = "webhook-secret-for-tests"


def make_event(meeting_id="", slug="cambodia-2023", **values):
    event = Event(
        slug=slug,
        state="published",
        starts_at=utcnow() + timedelta(days=7),
        duration_minutes=90,
        timezone="Asia/Phnom_Penh",
        meeting_id=meeting_id,
        join_url="https://zoom.example/j/shared",
        join_passcode="shared-pass",
        **values,
    )
    event.set_text("en", title="Cambodia after 23 July", summary="A planning session.")
    event.set_text("km", title="កម្ពុជាក្រោយថ្ងៃទី២៣ កក្កដា")
    db.session.add(event)
    db.session.commit()
    return event


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

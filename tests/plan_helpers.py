"""Builders for plan tests: a session with themes, ideas and registrations, made directly."""

from datetime import datetime

from app.extensions import db
from app.models import Event, Idea, Registration, Theme, utcnow


def make_event(slug="plan-test", state="concluded"):
    event = Event(
        slug=slug,
        state=state,
        default_language="en",
        texts={
            "en": {"title": "Cambodia after the election"},
            "km": {"title": "កម្ពុជាក្រោយការបោះឆ្នោត"},
        },
        starts_at=datetime(2023, 11, 1, 13, 0),
        timezone="Asia/Phnom_Penh",
    )
    db.session.add(event)
    db.session.flush()
    rights = Theme(event=event, position=0, labels={"en": "Human rights", "km": "សិទ្ធិមនុស្ស"})
    media = Theme(event=event, position=1, labels={"en": "Free media", "km": "សារព័ត៌មានសេរី"})
    db.session.add_all([rights, media])
    db.session.commit()
    return event


def make_registration(event, email, language="en", status="confirmed", name="Reader"):
    registration = Registration(
        event=event,
        email=email,
        email_key=email.lower(),
        name=name,
        language=language,
        status=status,
        confirmed_at=utcnow() if status == "confirmed" else None,
    )
    db.session.add(registration)
    db.session.commit()
    return registration


def make_idea(event, title, status="approved", theme=None, registration=None, **kw):
    idea = Idea(
        event=event,
        title=title,
        body=kw.pop("body", f"Body of {title}"),
        status=status,
        theme=theme,
        registration=registration,
        language=kw.pop("language", "en"),
        **kw,
    )
    db.session.add(idea)
    db.session.commit()
    return idea

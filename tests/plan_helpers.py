"""Builders for plan tests: ideas and registrations, made directly. (Their session:
`make_event(CONCLUDED)` from world.py.)"""

from app.extensions import db
from app.models import Idea, Registration, utcnow


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


# The plan editor's one publish-and-send step, answered and confirmed: without mailing, or
# mailing every registrant.
PUBLISH_QUIETLY = {"publish-mail": "none", "confirm": "yes"}
PUBLISH_AND_MAIL = {"publish-mail": "send", "confirm": "yes"}

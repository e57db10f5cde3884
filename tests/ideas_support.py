"""Helpers for the ideas and moderation tests: a published session with its ideas window
open, ideas created the way the workflow creates them, a registrant's manage link."""

import re
from datetime import timedelta

from app.extensions import db
from app.ideas import workflow
from app.models import Event, Idea, LinkToken, Registration, Theme, utcnow


def make_event(slug="s1", starts_in=timedelta(days=7), **overrides):
    now = utcnow()
    values = dict(
        slug=slug,
        state="published",
        texts={"en": {"title": f"Session {slug}"}, "km": {"title": f"កិច្ចប្រជុំ {slug}"}},
        starts_at=now + starts_in,
        duration_minutes=120,
        ideas_open_at=now - timedelta(days=1),
        ideas_close_at=None,
    )
    values.update(overrides)
    event = Event(**values)
    event.themes = [
        Theme(position=0, labels={"en": "Elections", "km": "ការបោះឆ្នោត"}),
        Theme(position=1, labels={"en": "Justice", "km": "យុត្តិធម៌"}),
    ]
    db.session.add(event)
    db.session.commit()
    return event


def add_idea(event, title="An idea", body="Some text.", status=None, created_at=None, **fields):
    """A confirmed idea, through the workflow (so its status comes from the plugins)."""
    fields.setdefault("author_email", "author@example.org")
    idea = Idea(event=event, title=title, body=body, **fields)
    if created_at is not None:
        idea.created_at = created_at
    workflow.submit(idea)
    workflow.confirm(idea)
    if status is not None and status != idea.status:
        idea.status = status
    db.session.commit()
    return idea


def make_registrant(event, email="reg@example.org", name="Sok Dara", language="km"):
    registration = Registration(
        event=event,
        email=email,
        email_key=email.lower(),
        name=name,
        language=language,
        status="confirmed",
        confirmed_at=utcnow(),
    )
    db.session.add(registration)
    db.session.flush()
    _row, raw = LinkToken.issue("manage", registration)
    db.session.commit()
    return registration, raw


def link_in(text, path):
    """The first absolute link in a mail's text whose path starts with `path`."""
    match = re.search(r"https?://\S+?" + re.escape(path) + r"\S+", text)
    assert match, f"no link to {path} in:\n{text}"
    return match.group(0)

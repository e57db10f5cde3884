"""Helpers for the ideas and moderation tests: ideas created the way the workflow creates
them, a registrant's manage link. (Their session: `make_event(IDEAS_OPEN)` from world.py.)"""

import re

from app.extensions import db
from app.ideas import workflow
from app.models import Idea, LinkToken, Registration, utcnow


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

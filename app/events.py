"""Reading sessions (events): which ones the public sees, and their texts in a language."""

import sqlalchemy as sa

from .extensions import db
from .models import Event

PUBLIC_STATES = ("published", "concluded", "plan_published")


def current_events():
    """Published sessions the public sees on the home page, soonest first."""
    return db.session.scalars(
        sa.select(Event).where(Event.state.in_(PUBLIC_STATES)).order_by(Event.starts_at)
    ).all()


def get_public_event(slug):
    return db.session.scalar(
        sa.select(Event).where(Event.slug == slug, Event.state.in_(PUBLIC_STATES + ("archived",)))
    )


# ---------------------------------------------------------------- the session's state

# Forward along the life of a session, or back one step to undo a mistake.
TRANSITIONS = {
    "draft": ("published",),
    "published": ("concluded", "draft"),
    "concluded": ("plan_published", "published"),
    "plan_published": ("archived", "concluded"),
    "archived": ("plan_published",),
}
# Moves an organizer confirms on a second page before they happen.
NEEDS_CONFIRMATION = ("concluded", "archived")


class TransitionError(ValueError):
    """The session cannot move from its state to the one asked for."""


def allowed_states(event):
    return TRANSITIONS.get(event.state, ())


def is_forward(event, new_state):
    return Event.STATES.index(new_state) > Event.STATES.index(event.state)


def change_state(event, new_state, actor):
    """Move a session to `new_state` if its life allows it, and audit it. The caller commits
    (so the change and its audit entry are one transaction)."""
    from . import audit

    if new_state not in allowed_states(event):
        raise TransitionError(f"{event.state} -> {new_state}")
    before = event.state
    event.state = new_state
    audit.record("event.state", event, actor=actor, before=before, after=new_state)
    db.session.flush()
    return event

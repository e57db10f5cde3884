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

"""Internal plugin: the ideas feature forgets who wrote them. An erased registrant's ideas
(sent from their manage link, or from the public form with their address) stay, without a
name or an address, and their secret links stop working; a purged session's ideas all
lose their authors, registered or not."""

import sqlalchemy as sa

from ..extensions import db
from ..models import Idea, LinkToken
from ..plugins import hookimpl


def ideas_of(registration):
    """The registrant's ideas: linked to the registration, or sent to the same session from
    the public form under the same address."""
    return sa.or_(
        Idea.registration_id == registration.id,
        sa.and_(
            Idea.event_id == registration.event_id,
            sa.func.lower(Idea.author_email) == registration.email_key,
        ),
    )


def forget_authors(which):
    """Blank the author of the ideas `which` selects and retire their links (the links
    first: once the address is blank, `which` may no longer find the ideas)."""
    idea_ids = sa.select(Idea.id).where(which)
    db.session.execute(
        sa.delete(LinkToken).where(
            LinkToken.subject_type == "idea", LinkToken.subject_id.in_(idea_ids)
        )
    )
    db.session.execute(
        sa.update(Idea).where(which).values(author_email="", author_name="", display="anonymous")
    )


@hookimpl
def sala_registration_erased(registration):
    if registration.id is None:  # never saved: nothing kept under it
        return
    forget_authors(ideas_of(registration))


@hookimpl
def sala_event_purged(event):
    if event.id is None:
        return
    forget_authors(Idea.event_id == event.id)

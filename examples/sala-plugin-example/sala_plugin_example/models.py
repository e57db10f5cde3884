"""The plugin's own table: a partner's note per session, set by the organizer in the session
form. Made by the plugin's own migration (migrations/), which `sala init` applies."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.api import db


class ExampleNote(db.Model):
    # Prefixed with the plugin's name: no clash with Sala's tables or another plugin's.
    __tablename__ = "example_note"

    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    text: Mapped[str] = mapped_column(sa.String(200), default="")


def note_of(event):
    """The partner's note for a session, "" without one."""
    if event is None or event.id is None:
        return ""
    row = db.session.get(ExampleNote, event.id)
    return row.text if row else ""


def set_note(event, text):
    row = db.session.get(ExampleNote, event.id)
    if row is None:
        row = ExampleNote(event_id=event.id)
        db.session.add(row)
    row.text = text

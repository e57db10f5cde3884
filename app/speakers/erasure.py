"""Internal plugin: a purged session's speakers lose the email address an organizer gave
for them (their names and texts are public and stay)."""

import sqlalchemy as sa

from ..extensions import db
from ..plugins import hookimpl
from .models import Speaker


@hookimpl
def sala_event_purged(event):
    db.session.execute(
        sa.update(Speaker)
        .where(Speaker.event_id == event.id)
        .values(email="")
        .execution_options(synchronize_session="fetch")
    )

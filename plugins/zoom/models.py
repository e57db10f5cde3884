"""The plugin's own tables (their migrations: plugins/zoom/migrations).

- ZoomMeeting: the Zoom meeting of a session, set by the organizer in the session form, and
  whether that number is a meeting or a webinar (found out from Zoom, "" until then).
- ZoomPanelist: a speaker of a webinar sent to Zoom as a panelist, with their own join link.
- ZoomRegistrant: one registrant's personal link and where they stand on Zoom.
- ZoomTask: Zoom work that outlives a registration row, and webhook events already handled.
  - kind "erase": a registrant to remove from a Zoom meeting after their data was erased in
    Sala. Holds the registrant id and meeting number only (never in the clear anywhere
    else); the row is deleted as soon as Zoom has forgotten them.
  - kind "meeting_update": a session moved to another time; its meeting (`meeting_id`) is
    PATCHed to the session's time when the task is done (so two moves make one call).
  - kind "meeting_delete": a session cancelled; its meeting is deleted on Zoom.
  - kind "webhook": a webhook delivery already handled (key: SHA-256 of its body), so that a
    replay or Zoom's own retry is handled once. Kept a few days, then purged.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.api import Event, Registration, db, utcnow


class ZoomMeeting(db.Model):
    __tablename__ = "zoom_meeting"

    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    event: Mapped[Event] = relationship()
    meeting_id: Mapped[str] = mapped_column(sa.String(64), default="")
    # "meeting" or "webinar" (client.KINDS) as Zoom answered for this number; "" while not
    # known: the worker, `sala zoom check` and `create-meeting` find it out.
    kind: Mapped[str] = mapped_column(sa.String(10), default="", server_default="")


class ZoomRegistrant(db.Model):
    """Where one registrant stands on Zoom (`status`):

    "" / "pending"   confirmed, no personal link yet (the worker will ask Zoom)
    "synced"         join_url and registrant_id (Zoom's id for them) are set
    "failed"         Zoom refused for good, or the link came too late (error says why):
                     the session's shared link is used
    "cancel_pending" cancelled in Sala, to cancel on Zoom
    "cancelled"      cancelled on Zoom too (or never was there)
    "erased"         personal data erased; a ZoomTask removes them from Zoom
    """

    __tablename__ = "zoom_registrant"

    registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="CASCADE"), primary_key=True
    )
    registration: Mapped[Registration] = relationship()
    status: Mapped[str] = mapped_column(sa.String(20), default="", index=True)
    join_url: Mapped[str] = mapped_column(sa.String(1000), default="")
    registrant_id: Mapped[str] = mapped_column(sa.String(100), default="")
    error: Mapped[str] = mapped_column(sa.String(500), default="")
    # Each registrant's own backoff: failed adds in a row, and not before when to try again.
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    retry_at: Mapped[datetime | None]


class ZoomTask(db.Model):
    __tablename__ = "zoom_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    key: Mapped[str] = mapped_column(sa.String(100), unique=True)
    meeting_id: Mapped[str] = mapped_column(sa.String(64), default="")
    registrant_id: Mapped[str] = mapped_column(sa.String(100), default="")
    attempts: Mapped[int] = mapped_column(default=0)
    due_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ZoomPanelist(db.Model):
    """A speaker of a webinar as a panelist on Zoom (`status`):

    "" / "pending"  to send to Zoom (the organizer asked; the worker or the CLI does it)
    "added"         on Zoom: panelist_id and join_url (their own link) are set
    "failed"        Zoom refused (error says why)

    `mailed_url` is the link last mailed to the speaker: a new link is mailed again. When a
    speaker is deleted (speaker_id gone) or their address changes (`address_key`, a hash:
    the address itself stays on the speaker), they are removed from Zoom at the next sync.
    """

    __tablename__ = "zoom_panelist"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    # The speaker's id, without a foreign key: the plugin's migrations come before the
    # core's speaker table in `sala init`, and a row whose speaker is gone is just what the
    # next sync removes from Zoom.
    speaker_id: Mapped[int | None] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="")
    address_key: Mapped[str] = mapped_column(sa.String(64), default="")
    panelist_id: Mapped[str] = mapped_column(sa.String(100), default="")
    join_url: Mapped[str] = mapped_column(sa.String(1000), default="")
    mailed_url: Mapped[str] = mapped_column(sa.String(1000), default="")
    error: Mapped[str] = mapped_column(sa.String(500), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def meeting_of(event):
    """The Zoom meeting id of a session, "" without one."""
    if event is None or event.id is None:
        return ""
    row = db.session.get(ZoomMeeting, event.id)
    return row.meeting_id if row else ""


def kind_of(event):
    """ "meeting" or "webinar" when Zoom has told us, else ""."""
    if event is None or event.id is None:
        return ""
    row = db.session.get(ZoomMeeting, event.id)
    return row.kind if row else ""


def set_meeting(event, meeting_id, kind=""):
    """The session's Zoom number; its kind when known (a new number's kind is found out)."""
    row = db.session.get(ZoomMeeting, event.id)
    if row is None:
        row = ZoomMeeting(event_id=event.id, meeting_id="", kind="")
        db.session.add(row)
    if row.meeting_id != meeting_id:
        row.kind = ""
    row.meeting_id = meeting_id
    if kind:
        row.kind = kind


def set_kind(event, kind):
    row = db.session.get(ZoomMeeting, event.id)
    if row is not None and row.kind != kind:
        row.kind = kind


def state_of(registration, create=True):
    """This registrant's row, made on first use; None when there is none and `create` is
    false."""
    row = db.session.get(ZoomRegistrant, registration.id)
    if row is None and create:
        row = ZoomRegistrant(
            registration_id=registration.id,
            status="",
            join_url="",
            registrant_id="",
            error="",
            attempts=0,
        )
        db.session.add(row)
    return row

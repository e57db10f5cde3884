"""The plugin's one table: Zoom work that outlives a registration row, and webhook events
already handled.

- kind "erase": a registrant to remove from a Zoom meeting after their data was erased in
  Sala. Holds the registrant id and meeting number only (never in the clear anywhere else);
  the row is deleted as soon as Zoom has forgotten them.
- kind "webhook": a webhook delivery already handled (key: SHA-256 of its body), so that a
  replay or Zoom's own retry is handled once. Kept a few days, then purged.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.api import db, utcnow


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

"""zoom: whether a session's Zoom number is a meeting or a webinar, and the speakers sent to
a webinar as panelists, each with their own link

Revision ID: c2d7f4a9e813
Revises: 8a3b6c1d2e40
Create Date: 2026-11-30 17:35:00

"""

import sqlalchemy as sa
from alembic import op

revision = "c2d7f4a9e813"
down_revision = "8a3b6c1d2e40"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("zoom_meeting") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=10), nullable=False, server_default=""))
    op.create_table(
        "zoom_panelist",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("speaker_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("address_key", sa.String(length=64), nullable=False),
        sa.Column("panelist_id", sa.String(length=100), nullable=False),
        sa.Column("join_url", sa.String(length=1000), nullable=False),
        sa.Column("mailed_url", sa.String(length=1000), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("zoom_panelist") as batch:
        batch.create_index(batch.f("ix_zoom_panelist_event_id"), ["event_id"], unique=False)
        batch.create_index(batch.f("ix_zoom_panelist_speaker_id"), ["speaker_id"], unique=False)


def downgrade():
    op.drop_table("zoom_panelist")
    with op.batch_alter_table("zoom_meeting") as batch:
        batch.drop_column("kind")

"""The Zoom plugin's own tables: the meeting of each session, each registrant's personal link
and where they stand on Zoom, and the tasks (zoom_task) that outlive a registration

Sites that ran Sala before plugins owned their data already have zoom_task (the core's first
migration made it) and keep the meeting id and personal links in core columns: the table is
adopted as it is, and the columns are copied here, before the core's revision 9b4d2e6f1a37
drops them (`sala init` applies the plugins' branches first).

Revision ID: 5f0c8a2d9e61
Revises:
Create Date: 2026-11-30 14:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "5f0c8a2d9e61"
down_revision = None
branch_labels = ("zoom",)
# The core revision whose registration and event tables these refer to.
depends_on = "7d1e5a9c3b20"


def upgrade():
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table("zoom_task"):
        create_zoom_task()
    op.create_table(
        "zoom_meeting",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_table(
        "zoom_registrant",
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("join_url", sa.String(length=1000), nullable=False),
        sa.Column("registrant_id", sa.String(length=100), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["registration_id"], ["registration.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("registration_id"),
    )
    with op.batch_alter_table("zoom_registrant") as batch:
        batch.create_index(batch.f("ix_zoom_registrant_status"), ["status"], unique=False)
    copy_core_columns(inspector)


def create_zoom_task():
    op.create_table(
        "zoom_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("meeting_id", sa.String(length=64), nullable=False),
        sa.Column("registrant_id", sa.String(length=100), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("zoom_task") as batch:
        batch.create_index(batch.f("ix_zoom_task_due_at"), ["due_at"], unique=False)


def copy_core_columns(inspector):
    """The meeting ids and personal links the core kept before this plugin owned them."""
    if "meeting_id" in {c["name"] for c in inspector.get_columns("event")}:
        op.execute(
            "INSERT INTO zoom_meeting (event_id, meeting_id) "
            "SELECT id, meeting_id FROM event WHERE meeting_id != ''"
        )
    if "join_status" in {c["name"] for c in inspector.get_columns("registration")}:
        op.execute(
            "INSERT INTO zoom_registrant (registration_id, status, join_url, registrant_id, error) "
            "SELECT id, join_status, join_url, join_ref, join_error FROM registration "
            "WHERE join_status != '' OR join_ref != '' OR join_url != ''"
        )


def downgrade():
    op.drop_table("zoom_registrant")
    op.drop_table("zoom_meeting")
    op.drop_table("zoom_task")

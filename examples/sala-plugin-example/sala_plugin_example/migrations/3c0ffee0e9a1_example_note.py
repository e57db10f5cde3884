"""example: a partner's note per session

The first revision of the plugin's own branch: `down_revision` is None, the branch is named
after the plugin, and `depends_on` names the Sala revision whose tables it refers to (the
event table, from Sala's first migration), so Alembic applies that first.

Revision ID: 3c0ffee0e9a1
Revises:
Create Date: 2026-11-30 14:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "3c0ffee0e9a1"
down_revision = None
branch_labels = ("example",)
depends_on = "c3e2b179ef90"


def upgrade():
    op.create_table(
        "example_note",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("event_id"),
    )


def downgrade():
    op.drop_table("example_note")

"""The core holds no plugin's data: the Zoom meeting id of a session and a registrant's
personal link and Zoom state move to the Zoom plugin's own tables

`sala init` brings every enabled plugin's branch to its head before this revision runs, so
the Zoom plugin's first migration (plugins/zoom/migrations) has copied these columns into
its tables when they are dropped here.

Revision ID: 9b4d2e6f1a37
Revises: 4b7e2c9d1a05
Create Date: 2026-11-30 14:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "9b4d2e6f1a37"
down_revision = "4b7e2c9d1a05"
branch_labels = None
depends_on = None

REGISTRATION_COLUMNS = (
    ("join_url", 1000),
    ("join_ref", 100),
    ("join_status", 20),
    ("join_error", 500),
)


def upgrade():
    with op.batch_alter_table("registration") as batch:
        for name, _length in REGISTRATION_COLUMNS:
            batch.drop_column(name)
    with op.batch_alter_table("event") as batch:
        batch.drop_column("meeting_id")


def downgrade():
    with op.batch_alter_table("event") as batch:
        batch.add_column(sa.Column("meeting_id", sa.String(64), nullable=False, server_default=""))
    with op.batch_alter_table("registration") as batch:
        for name, length in REGISTRATION_COLUMNS:
            batch.add_column(sa.Column(name, sa.String(length), nullable=False, server_default=""))

"""A session's calendar SEQUENCE and LAST-MODIFIED, for moved and cancelled sessions

Revision ID: b7c4e2a9d1f3
Revises: a9d3f0b7c2e1
Create Date: 2026-11-30 17:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "b7c4e2a9d1f3"
down_revision = "a9d3f0b7c2e1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("event") as batch:
        batch.add_column(
            sa.Column("ics_sequence", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("ics_modified_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("event") as batch:
        batch.drop_column("ics_modified_at")
        batch.drop_column("ics_sequence")

"""Join details on demand: a session's dial-in line, and when an organizer released its
join details ahead of the rule

Revision ID: a9d3f0b7c2e1
Revises: a4c9e1f7b350
Create Date: 2026-11-30 17:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "a9d3f0b7c2e1"
down_revision = "a4c9e1f7b350"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("event") as batch:
        batch.add_column(
            sa.Column("join_phone", sa.String(500), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("join_released_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("event") as batch:
        batch.drop_column("join_released_at")
        batch.drop_column("join_phone")

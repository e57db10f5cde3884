"""zoom: each registrant's own backoff, so one registrant Zoom keeps refusing never holds up
the others (attempts in a row, and when to try them again)

Revision ID: 8a3b6c1d2e40
Revises: 5f0c8a2d9e61
Create Date: 2026-11-30 14:35:00

"""

import sqlalchemy as sa
from alembic import op

revision = "8a3b6c1d2e40"
down_revision = "5f0c8a2d9e61"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("zoom_registrant") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("retry_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("zoom_registrant") as batch:
        batch.drop_column("retry_at")
        batch.drop_column("attempts")

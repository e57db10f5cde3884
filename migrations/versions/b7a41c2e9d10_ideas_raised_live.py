"""Ideas raised live during the session: a flag and who raised them

Revision ID: b7a41c2e9d10
Revises: 9b4d2e6f1a37
Create Date: 2026-11-30 14:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "b7a41c2e9d10"
down_revision = "9b4d2e6f1a37"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("idea") as batch:
        batch.add_column(
            sa.Column("raised_live", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("raised_by", sa.String(12), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("idea") as batch:
        batch.drop_column("raised_by")
        batch.drop_column("raised_live")

"""The Plan of Action is published and mailed in one step: the plan's "mail on publishing"
setting goes (the organizer now chooses "publish and mail" or "publish without mailing" each
time, on the publish form)

Revision ID: a6f3d8e1c205
Revises: a9d4e6f1c3b8
Create Date: 2026-11-30 17:20:00

The column held only that preference; no published version, mail or audit entry depends on
it, so dropping it loses nothing a person wrote. A downgrade brings it back as it was
created (on by default).
"""

import sqlalchemy as sa
from alembic import op

revision = "a6f3d8e1c205"
down_revision = "a9d4e6f1c3b8"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("plan") as batch:
        batch.drop_column("send_on_publish")


def downgrade():
    with op.batch_alter_table("plan") as batch:
        batch.add_column(
            sa.Column("send_on_publish", sa.Boolean(), nullable=False, server_default=sa.true())
        )

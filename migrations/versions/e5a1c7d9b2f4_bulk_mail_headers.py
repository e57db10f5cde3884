"""Bulk mail: extra headers per outbox message (List-Unsubscribe, Reply-To) and a
registration's one-click stop of bulk mail

Revision ID: e5a1c7d9b2f4
Revises: ffd2dcdcfb23
Create Date: 2026-11-30 14:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "e5a1c7d9b2f4"
down_revision = "ffd2dcdcfb23"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(sa.Column("headers", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("registration") as batch:
        batch.add_column(sa.Column("bulk_mail_stopped_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("registration") as batch:
        batch.drop_column("bulk_mail_stopped_at")
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_column("headers")

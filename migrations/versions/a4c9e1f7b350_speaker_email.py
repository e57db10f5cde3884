"""Speakers: an optional email address and mail language, seen by organizers only, so a
plugin can mail a speaker their own links (the Zoom plugin's webinar panelist link)

Revision ID: a4c9e1f7b350
Revises: e5a1c7d9b2f4
Create Date: 2026-11-30 17:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "a4c9e1f7b350"
down_revision = "e5a1c7d9b2f4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("speaker") as batch:
        batch.add_column(
            sa.Column("email", sa.String(length=254), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("mail_language", sa.String(length=10), nullable=False, server_default="")
        )


def downgrade():
    with op.batch_alter_table("speaker") as batch:
        batch.drop_column("mail_language")
        batch.drop_column("email")

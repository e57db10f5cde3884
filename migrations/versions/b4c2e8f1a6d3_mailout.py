"""Mail-outs: "send this to that audience", recorded by the request and queued by the
worker in batches

Revision ID: b4c2e8f1a6d3
Revises: 7d1e5a9c3b20
Create Date: 2026-11-30 14:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "b4c2e8f1a6d3"
down_revision = "7d1e5a9c3b20"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "mailout",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("batch", sa.String(length=80), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("audience", sa.String(length=40), nullable=False),
        sa.Column("upto_id", sa.Integer(), nullable=False),
        sa.Column("cursor", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("handled", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["user.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("batch"),
    )
    op.create_index("ix_mailout_status", "mailout", ["status"])


def downgrade():
    op.drop_index("ix_mailout_status", table_name="mailout")
    op.drop_table("mailout")

"""Speakers linked to the ideas and plan items they presented; what each translation was
made from (translations that need review)

Revision ID: a9d4e6f1c3b8
Revises: b7c4e2a9d1f3
Create Date: 2026-11-30 17:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "a9d4e6f1c3b8"
down_revision = "b7c4e2a9d1f3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "text_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("lang", sa.String(length=10), nullable=False),
        sa.Column("source_digest", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "row_id", "field", "lang"),
    )
    op.create_index("ix_text_review_event_id", "text_review", ["event_id"])
    for table in ("idea", "plan_item"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("presented_by_id", sa.Integer(), nullable=True))
            batch.create_foreign_key(
                f"fk_{table}_presented_by",
                "speaker",
                ["presented_by_id"],
                ["id"],
                ondelete="SET NULL",
            )


def downgrade():
    for table in ("plan_item", "idea"):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"fk_{table}_presented_by", type_="foreignkey")
            batch.drop_column("presented_by_id")
    op.drop_index("ix_text_review_event_id", table_name="text_review")
    op.drop_table("text_review")

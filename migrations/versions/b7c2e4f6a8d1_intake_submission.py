"""Registrations and ideas as intake: the submission table, one row per form sent, turned
into a registration or an idea (and its mail) by the worker, then deleted

Revision ID: b7c2e4f6a8d1
Revises: a6f3d8e1c205
Create Date: 2026-11-30 21:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "b7c2e4f6a8d1"
down_revision = "a6f3d8e1c205"
branch_labels = None
depends_on = None

# As app/intake.py has them (a migration keeps its own copy: the app's may change later).
NOTIFY_FUNCTION = """
CREATE OR REPLACE FUNCTION sala_intake_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('sala_intake', '');
    RETURN NULL;
END $$ LANGUAGE plpgsql
"""
NOTIFY_TRIGGER = """
CREATE TRIGGER submission_notify AFTER INSERT ON submission
FOR EACH STATEMENT EXECUTE FUNCTION sala_intake_notify()
"""


def upgrade():
    op.create_table(
        "submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("email_key", sa.String(length=254), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("submission") as batch:
        batch.create_index(batch.f("ix_submission_event_id"), ["event_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        # Each INSERT wakes the worker listening (LISTEN sala_intake): app/intake.py.
        op.execute(NOTIFY_FUNCTION)
        op.execute(NOTIFY_TRIGGER)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS submission_notify ON submission")
        op.execute("DROP FUNCTION IF EXISTS sala_intake_notify()")
    with op.batch_alter_table("submission") as batch:
        batch.drop_index(batch.f("ix_submission_event_id"))
    op.drop_table("submission")

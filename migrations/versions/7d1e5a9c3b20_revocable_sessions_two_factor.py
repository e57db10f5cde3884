"""Accounts: session tokens (revocable sessions), two-factor sign-in; the per-account
lock-out columns go (sign-in is throttled per account and address outside the database)

Revision ID: 7d1e5a9c3b20
Revises: 7d1e0c5a9b42
Create Date: 2026-11-30 10:30:00

"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "7d1e5a9c3b20"
down_revision = "7d1e0c5a9b42"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("session_token", sa.String(64), nullable=True))
        batch.add_column(sa.Column("totp_secret", sa.String(64), nullable=True))
        batch.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("recovery_codes", sa.JSON(), nullable=True))
        batch.drop_column("failed_logins")
        batch.drop_column("locked_until")
    # Every account gets a token of its own (sessions from before the upgrade end).
    user = sa.table(
        "user",
        sa.column("id", sa.Integer),
        sa.column("session_token", sa.String),
        sa.column("recovery_codes", sa.JSON),
    )
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.select(user.c.id)).all():
        connection.execute(
            user.update()
            .where(user.c.id == user_id)
            .values(session_token=secrets.token_urlsafe(32), recovery_codes=[])
        )
    with op.batch_alter_table("user") as batch:
        batch.alter_column("session_token", existing_type=sa.String(64), nullable=False)
        batch.alter_column("recovery_codes", existing_type=sa.JSON(), nullable=False)


def downgrade():
    with op.batch_alter_table("user") as batch:
        batch.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("locked_until", sa.DateTime(), nullable=True))
        batch.drop_column("recovery_codes")
        batch.drop_column("totp_last_step")
        batch.drop_column("totp_secret")
        batch.drop_column("session_token")

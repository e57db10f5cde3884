"""mail pause: the outbox waits while the email provider refuses the sender or the login;
mail a dead worker had handed over is "unknown", not "failed"

Revision ID: 4b7e2c9d1a05
Revises: b4c2e8f1a6d3
Create Date: 2026-11-30 14:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4b7e2c9d1a05'
down_revision = 'b4c2e8f1a6d3'
branch_labels = None
depends_on = None


# What earlier versions wrote for a message a dead worker had handed over, and what this one
# writes: such a message may have been delivered, so no "retry all failed" may include it.
OLD_IN_FLIGHT = "worker stopped after handing over; not resent to avoid a duplicate"
IN_FLIGHT = "the worker stopped while handing this message over; it may have been delivered"


def upgrade():
    op.execute(
        sa.text(
            "UPDATE outbox_message SET status = 'unknown', last_error = :new "
            "WHERE status = 'failed' AND last_error = :old"
        ).bindparams(new=IN_FLIGHT, old=OLD_IN_FLIGHT)
    )
    op.create_table('mail_pause',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('since', sa.DateTime(), nullable=False),
    sa.Column('until', sa.DateTime(), nullable=False),
    sa.Column('tries', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade():
    op.drop_table('mail_pause')
    op.execute(
        sa.text(
            "UPDATE outbox_message SET status = 'failed', last_error = :old "
            "WHERE status = 'unknown'"
        ).bindparams(old=OLD_IN_FLIGHT)
    )

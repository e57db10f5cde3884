"""mail pause: the outbox waits while the email provider refuses the sender or the login

Revision ID: 4b7e2c9d1a05
Revises: 7d1e5a9c3b20
Create Date: 2026-11-30 14:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4b7e2c9d1a05'
down_revision = '7d1e5a9c3b20'
branch_labels = None
depends_on = None


def upgrade():
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

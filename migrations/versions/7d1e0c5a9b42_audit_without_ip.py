"""audit entries without an IP address

Revision ID: 7d1e0c5a9b42
Revises: 215bb3aca93b
Create Date: 2026-11-30 10:40:00

The audit log kept the address of every request it recorded, idea authors' included. No
visitor's address is kept any more: the values are blanked first (so no copy of them is
left in the rows a database may keep around a dropped column), then the column goes.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7d1e0c5a9b42'
down_revision = '215bb3aca93b'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(sa.text("UPDATE audit_entry SET ip = ''"))
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_column('ip')


def downgrade():
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('ip', sa.String(length=64), nullable=False, server_default='')
        )

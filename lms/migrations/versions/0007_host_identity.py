"""people who sign in through a host app

Revision ID: 0007_host_identity
Revises: 0006_enrolment_group_index
Create Date: 2026-12-02 15:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0007_host_identity'
down_revision = '0006_enrolment_group_index'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lms_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('host_id', sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint('uq_lms_users_host_id', ['host_id'])


def downgrade():
    with op.batch_alter_table('lms_users', schema=None) as batch_op:
        batch_op.drop_constraint('uq_lms_users_host_id', type_='unique')
        batch_op.drop_column('host_id')

"""academy content version (learner pages keep a per-process copy of sessions and readings)

Revision ID: 0005_academy_content_version
Revises: 0004_audit_sessions
Create Date: 2026-11-27 06:55:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0005_academy_content_version'
down_revision = '0004_audit_sessions'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lms_academies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_version', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('lms_academies', schema=None) as batch_op:
        batch_op.drop_column('content_version')

"""password-reset requests, answered after the response so that every address answers alike

Revision ID: 0009_security
Revises: 0010_time_preferences
Create Date: 2026-12-09 12:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0009_security'
down_revision = '0010_time_preferences'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('lms_reset_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_reset_requests'))
    )
    with op.batch_alter_table('lms_reset_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_reset_requests_requested_at'), ['requested_at'], unique=False)


def downgrade():
    with op.batch_alter_table('lms_reset_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lms_reset_requests_requested_at'))
    op.drop_table('lms_reset_requests')

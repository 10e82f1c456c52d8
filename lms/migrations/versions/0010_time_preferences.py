"""first cohort: confirmed zone and 12/24-hour clock, excused sessions on certificates, learners' contact

People confirm the zone an admin guessed (lms_users.timezone_confirmed) and choose a clock (lms_users.clock,
"" following the zone's country); a certificate keeps the days of sessions excused under an exception
(lms_certificates.excused_dates); an academy may give learners an address to write to (contact_email).

Revision ID: 0010_time_preferences
Revises: 0008_attendance_import_batches
Create Date: 2026-12-02 16:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0010_time_preferences'
down_revision = '0008_attendance_import_batches'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lms_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timezone_confirmed', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('clock', sa.String(length=2), server_default='', nullable=False))
    with op.batch_alter_table('lms_academies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_email', sa.String(length=254), server_default='', nullable=False))
    with op.batch_alter_table('lms_certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('excused_dates', sa.String(length=300), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('lms_certificates', schema=None) as batch_op:
        batch_op.drop_column('excused_dates')
    with op.batch_alter_table('lms_academies', schema=None) as batch_op:
        batch_op.drop_column('contact_email')
    with op.batch_alter_table('lms_users', schema=None) as batch_op:
        batch_op.drop_column('clock')
        batch_op.drop_column('timezone_confirmed')

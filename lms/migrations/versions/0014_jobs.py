"""certificate jobs: "issue to all eligible" done by the worker in batches, one running job per academy

Revision ID: 0014_jobs
Revises: 0013_paper
Create Date: 2026-12-02 20:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0014_jobs'
down_revision = '0013_paper'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('lms_certificate_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('academy_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('base_url', sa.String(length=500), nullable=False),
    sa.Column('next_number', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('stopped_reason', sa.Text(), nullable=False),
    sa.CheckConstraint("state IN ('running', 'finished', 'stopped')", name=op.f('ck_lms_certificate_jobs_state')),
    sa.ForeignKeyConstraint(['academy_id'], ['lms_academies.id'], name=op.f('fk_lms_certificate_jobs_academy_id_lms_academies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['started_by_id'], ['lms_users.id'], name=op.f('fk_lms_certificate_jobs_started_by_id_lms_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_certificate_jobs'))
    )
    with op.batch_alter_table('lms_certificate_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_certificate_jobs_academy_id'), ['academy_id'], unique=False)
        batch_op.create_index('uq_lms_certificate_jobs_one_running', ['academy_id'], unique=True,
                              sqlite_where=sa.text("state = 'running'"), postgresql_where=sa.text("state = 'running'"))

    op.create_table('lms_certificate_job_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('claimed_by', sa.String(length=120), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('waiting', 'claimed', 'issued', 'already', 'refused')", name=op.f('ck_lms_certificate_job_items_state')),
    sa.ForeignKeyConstraint(['certificate_id'], ['lms_certificates.id'], name=op.f('fk_lms_certificate_job_items_certificate_id_lms_certificates'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['job_id'], ['lms_certificate_jobs.id'], name=op.f('fk_lms_certificate_job_items_job_id_lms_certificate_jobs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['lms_users.id'], name=op.f('fk_lms_certificate_job_items_user_id_lms_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_certificate_job_items')),
    sa.UniqueConstraint('job_id', 'user_id', name='uq_lms_certificate_job_items_job_user')
    )
    with op.batch_alter_table('lms_certificate_job_items', schema=None) as batch_op:
        batch_op.create_index('ix_lms_certificate_job_items_job_state', ['job_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_lms_certificate_job_items_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('lms_certificate_job_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lms_certificate_job_items_user_id'))
        batch_op.drop_index('ix_lms_certificate_job_items_job_state')
    op.drop_table('lms_certificate_job_items')
    with op.batch_alter_table('lms_certificate_jobs', schema=None) as batch_op:
        batch_op.drop_index('uq_lms_certificate_jobs_one_running', sqlite_where=sa.text("state = 'running'"),
                            postgresql_where=sa.text("state = 'running'"))
        batch_op.drop_index(batch_op.f('ix_lms_certificate_jobs_academy_id'))
    op.drop_table('lms_certificate_jobs')

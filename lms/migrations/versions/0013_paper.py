"""learners on paper: email optional, the unit they take part through, printed codes, transcriptions

A person without an email (lms_users.email NULL) takes part on paper, through an organisation or unit
(lms_users.takes_part_through); UNIQUE on email still holds for those who have one (NULLs do not clash on
SQLite or PostgreSQL). The code printed on each reflection page (lms_paper_codes) and the record that a
reflection version was typed in from paper, with its scan (lms_transcriptions).

Revision ID: 0013_paper
Revises: 0009_security
Create Date: 2026-12-02 20:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0013_paper'
down_revision = '0009_security'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lms_users', schema=None) as batch_op:
        batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=True)
        batch_op.add_column(sa.Column('takes_part_through', sa.String(length=200), server_default='', nullable=False))
    op.create_table('lms_paper_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('reading_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['reading_id'], ['lms_readings.id'], name=op.f('fk_lms_paper_codes_reading_id_lms_readings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['lms_users.id'], name=op.f('fk_lms_paper_codes_user_id_lms_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_paper_codes')),
    sa.UniqueConstraint('code', name=op.f('uq_lms_paper_codes_code')),
    sa.UniqueConstraint('user_id', 'reading_id', name='uq_lms_paper_codes_user_reading')
    )
    with op.batch_alter_table('lms_paper_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_paper_codes_reading_id'), ['reading_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lms_paper_codes_user_id'), ['user_id'], unique=False)
    op.create_table('lms_transcriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reflection_id', sa.Integer(), nullable=False),
    sa.Column('reflection_version', sa.Integer(), nullable=False),
    sa.Column('transcribed_by_id', sa.Integer(), nullable=True),
    sa.Column('transcribed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('scan', sa.LargeBinary(), nullable=True),
    sa.Column('scan_type', sa.String(length=40), server_default='', nullable=False),
    sa.Column('scan_sha256', sa.String(length=64), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['reflection_id'], ['lms_reflections.id'], name=op.f('fk_lms_transcriptions_reflection_id_lms_reflections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['transcribed_by_id'], ['lms_users.id'], name=op.f('fk_lms_transcriptions_transcribed_by_id_lms_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_transcriptions')),
    sa.UniqueConstraint('reflection_id', 'reflection_version', name='uq_lms_transcriptions_reflection_version')
    )
    with op.batch_alter_table('lms_transcriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_transcriptions_reflection_id'), ['reflection_id'], unique=False)


def downgrade():
    with op.batch_alter_table('lms_transcriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lms_transcriptions_reflection_id'))
    op.drop_table('lms_transcriptions')
    with op.batch_alter_table('lms_paper_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lms_paper_codes_user_id'))
        batch_op.drop_index(batch_op.f('ix_lms_paper_codes_reading_id'))
    op.drop_table('lms_paper_codes')
    # Before this revision everyone had an address: people on paper get one that can never receive mail
    # (.invalid is reserved), so they and their work stay.
    op.execute("UPDATE lms_users SET email = 'paper-' || id || '@paper.invalid' WHERE email IS NULL")
    with op.batch_alter_table('lms_users', schema=None) as batch_op:
        batch_op.drop_column('takes_part_through')
        batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=False)

"""privacy: reflection and feedback texts encrypted at rest with LMS_DATA_KEY; users.erased_at; academies' retention and the counts kept after expiry

Revision ID: 0012_privacy
Revises: 0011_lti
Create Date: 2026-12-02 20:40:00

"""
import sqlalchemy as sa
from alembic import op
from cryptography.fernet import Fernet, MultiFernet
from flask import current_app

revision = '0012_privacy'
down_revision = '0011_lti'
branch_labels = None
depends_on = None

# Every text column the models now declare as EncryptedText.
ENCRYPTED = (('lms_reflections', 'body'), ('lms_reflection_versions', 'body'), ('lms_feedback', 'body'))


def _cipher() -> MultiFernet:
    keys = [key.strip() for key in (current_app.config.get('LMS_DATA_KEY') or '').split(',') if key.strip()]
    if not keys:
        raise RuntimeError('LMS_DATA_KEY must be set to encrypt the stored texts (README: Configuration).')
    return MultiFernet([Fernet(key) for key in keys])


def _rewrite(change) -> None:
    connection = op.get_bind()
    for table_name, column in ENCRYPTED:
        table = sa.table(table_name, sa.column('id', sa.Integer), sa.column(column, sa.Text))
        rows = connection.execute(sa.select(table.c.id, table.c[column]).where(table.c[column].is_not(None))).all()
        for row_id, value in rows:
            connection.execute(table.update().where(table.c.id == row_id).values({column: change(value)}))


def upgrade():
    with op.batch_alter_table('lms_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('lms_academies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention_months', sa.Integer(), server_default='12', nullable=False))
        batch_op.add_column(sa.Column('data_expired_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('lms_retained_counts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('academy_id', sa.Integer(), nullable=False),
    sa.Column('reading_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['academy_id'], ['lms_academies.id'], name=op.f('fk_lms_retained_counts_academy_id_lms_academies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reading_id'], ['lms_readings.id'], name=op.f('fk_lms_retained_counts_reading_id_lms_readings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_retained_counts')),
    sa.UniqueConstraint('academy_id', 'reading_id', 'kind', name='uq_lms_retained_counts_what')
    )
    with op.batch_alter_table('lms_retained_counts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_retained_counts_academy_id'), ['academy_id'], unique=False)
    cipher = _cipher()
    _rewrite(lambda text: cipher.encrypt(text.encode('utf-8')).decode('ascii'))


def downgrade():
    cipher = _cipher()
    _rewrite(lambda token: cipher.decrypt(token.encode('ascii')).decode('utf-8'))
    with op.batch_alter_table('lms_retained_counts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lms_retained_counts_academy_id'))
    op.drop_table('lms_retained_counts')
    with op.batch_alter_table('lms_academies', schema=None) as batch_op:
        batch_op.drop_column('data_expired_at')
        batch_op.drop_column('retention_months')
    with op.batch_alter_table('lms_users', schema=None) as batch_op:
        batch_op.drop_column('erased_at')

"""attendance imports as batches that can be undone

Revision ID: 0008_attendance_import_batches
Revises: 0007_host_identity
Create Date: 2026-12-02 16:00:00

An import is no longer unique per (session, file, zone): "already imported" now means that saving
would change nothing in the records as they are. Each change remembers its import and what it
replaced, so an import can be undone. Imports saved before this revision stay listed, as saved.
"""
import sqlalchemy as sa
from alembic import op

revision = '0008_attendance_import_batches'
down_revision = '0007_host_identity'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lms_attendance_imports', schema=None) as batch_op:
        batch_op.drop_constraint('uq_lms_attendance_imports_session_file', type_='unique')
        batch_op.add_column(sa.Column('state', sa.String(length=20), server_default='saved', nullable=False))
        batch_op.add_column(sa.Column('file_data', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('imported_anyway', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('undone_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_lms_attendance_imports_undone_by_id_lms_users'), 'lms_users',
                                    ['undone_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_check_constraint(batch_op.f('ck_lms_attendance_imports_state'),
                                         "state IN ('previewed', 'saved', 'undone')")

    with op.batch_alter_table('lms_attendance_changes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('old_source', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('old_updated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('old_updated_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('import_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('note', sa.String(length=255), server_default='', nullable=False))
        batch_op.create_index(batch_op.f('ix_lms_attendance_changes_import_id'), ['import_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_lms_attendance_changes_old_updated_by_id_lms_users'),
                                    'lms_users', ['old_updated_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_lms_attendance_changes_import_id_lms_attendance_imports'),
                                    'lms_attendance_imports', ['import_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('lms_attendance_changes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_lms_attendance_changes_import_id_lms_attendance_imports'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_lms_attendance_changes_old_updated_by_id_lms_users'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_lms_attendance_changes_import_id'))
        batch_op.drop_column('note')
        batch_op.drop_column('import_id')
        batch_op.drop_column('old_updated_by_id')
        batch_op.drop_column('old_updated_at')
        batch_op.drop_column('old_source')

    # The older schema keeps one import per (session, file, zone) and has no previews waiting: keep the
    # latest of each (the changes themselves are all kept) and forget the previews.
    op.execute("DELETE FROM lms_attendance_imports WHERE state = 'previewed'")
    op.execute(
        "DELETE FROM lms_attendance_imports WHERE id NOT IN ("
        "SELECT MAX(id) FROM lms_attendance_imports GROUP BY live_session_id, file_sha256, file_timezone)"
    )
    with op.batch_alter_table('lms_attendance_imports', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_lms_attendance_imports_state'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_lms_attendance_imports_undone_by_id_lms_users'), type_='foreignkey')
        batch_op.drop_column('undone_at')
        batch_op.drop_column('undone_by_id')
        batch_op.drop_column('imported_anyway')
        batch_op.drop_column('file_data')
        batch_op.drop_column('state')
        batch_op.create_unique_constraint('uq_lms_attendance_imports_session_file',
                                          ['live_session_id', 'file_sha256', 'file_timezone'])

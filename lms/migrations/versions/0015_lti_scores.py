"""lti scores: one row per person, line item and course holding the latest result, so a value that changes back is sent again

Revision ID: 0015_lti_scores
Revises: 0012_privacy
Create Date: 2026-12-03 06:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0015_lti_scores'
down_revision = '0012_privacy'
branch_labels = None
depends_on = None


def upgrade():
    # Until now each value had a row of its own: keep only the newest per person, line item and course.
    posts = sa.table('lms_lti_score_posts', sa.column('id', sa.Integer), sa.column('context_id', sa.Integer),
                     sa.column('user_id', sa.Integer), sa.column('line_item', sa.String))
    newest = (sa.select(sa.func.max(posts.c.id))
              .group_by(posts.c.context_id, posts.c.user_id, posts.c.line_item).scalar_subquery())
    op.execute(posts.delete().where(posts.c.id.not_in(newest)))
    with op.batch_alter_table('lms_lti_score_posts', schema=None) as batch_op:
        batch_op.drop_constraint('uq_lms_lti_score_posts_once', type_='unique')
        batch_op.create_unique_constraint('uq_lms_lti_score_posts_person_item', ['context_id', 'user_id', 'line_item'])


def downgrade():
    with op.batch_alter_table('lms_lti_score_posts', schema=None) as batch_op:
        batch_op.drop_constraint('uq_lms_lti_score_posts_person_item', type_='unique')
        batch_op.create_unique_constraint('uq_lms_lti_score_posts_once', ['context_id', 'user_id', 'line_item', 'score'])

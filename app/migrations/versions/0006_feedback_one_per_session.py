"""feedback: one row per learner and session, holding the rating and the comment together

Until now a rating and the comment that followed it were two rows. Each pair is merged
into the rating's row (its id stays, so links to it keep working): the comment and its
prompt move over, a flag or testimonial on either part stays raised, the consent and
review dates are kept, and the row spans from the first part's arrival (``created_at``)
to the last's (``updated_at``). Then (learner, session) becomes unique.

The old engine put one rating and one comment prompt to a learner per session, and each
prompt had at most one row, so a pair is all a group can hold. Should a database hold
more anyway, the upgrade stops and names the rows, rather than drop what a learner said.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 09:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.models.types

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_when = app.models.types.UTCDateTime
feedback = sa.table(
    'feedback',
    sa.column('id', sa.Integer), sa.column('learner_id', sa.Integer), sa.column('prompt_id', sa.Integer),
    sa.column('comment_prompt_id', sa.Integer), sa.column('training_session_id', sa.Integer),
    sa.column('rating', sa.Integer), sa.column('comment', sa.String), sa.column('flagged', sa.Boolean),
    sa.column('testimonial', sa.Boolean), sa.column('consent_at', _when()), sa.column('reviewed_at', _when()),
    sa.column('created_at', _when()), sa.column('updated_at', _when()),
)
f = feedback.c


def upgrade() -> None:
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.add_column(sa.Column('comment_prompt_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('updated_at', _when(), nullable=True))
        batch_op.alter_column('prompt_id', existing_type=sa.Integer(), nullable=True)
    conn = op.get_bind()
    conn.execute(feedback.update().values(updated_at=f.created_at))
    # A comment's prompt is the comment's, not a rating's.
    conn.execute(feedback.update().where(f.rating.is_(None), f.comment.is_not(None))
                 .values(comment_prompt_id=f.prompt_id, prompt_id=None))
    groups = conn.execute(sa.select(f.learner_id, f.training_session_id)
                          .where(f.training_session_id.is_not(None))
                          .group_by(f.learner_id, f.training_session_id)
                          .having(sa.func.count(f.id) > 1)).all()
    for learner_id, session_id in groups:
        rows = conn.execute(sa.select(feedback).where(f.learner_id == learner_id, f.training_session_id == session_id)
                            .order_by(f.created_at, f.id)).mappings().all()
        _merge(conn, rows)
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.alter_column('updated_at', existing_type=_when(), nullable=False)
        batch_op.create_foreign_key('fk_feedback_comment_prompt_id', 'prompt', ['comment_prompt_id'], ['id'])
        batch_op.create_unique_constraint('uq_feedback_comment_prompt_id', ['comment_prompt_id'])
        batch_op.create_unique_constraint('uq_feedback_learner_session', ['learner_id', 'training_session_id'])
        batch_op.create_index('ix_feedback_updated_at', ['updated_at'], unique=False)


def _merge(conn, rows) -> None:
    ratings = [r for r in rows if r['rating'] is not None]
    comments = [r for r in rows if r['comment'] is not None]
    if len(ratings) > 1 or len(comments) > 1:
        raise RuntimeError(
            f"feedback rows {[r['id'] for r in rows]} hold more than one rating or comment for one learner "
            "and session; merge them by hand (nothing was changed), then run the upgrade again")
    keep = (ratings or rows)[0]
    comment = comments[0] if comments else None

    def latest(column):
        values = [r[column] for r in rows if r[column] is not None]
        return max(values) if values else None

    merged = {
        'rating': keep['rating'], 'prompt_id': keep['prompt_id'],
        'comment': comment['comment'] if comment else None,
        'comment_prompt_id': comment['comment_prompt_id'] if comment else None,
        'flagged': any(r['flagged'] for r in rows), 'testimonial': any(r['testimonial'] for r in rows),
        'consent_at': latest('consent_at'), 'reviewed_at': latest('reviewed_at'),
        'created_at': min(r['created_at'] for r in rows), 'updated_at': latest('created_at'),
    }
    conn.execute(feedback.delete().where(f.id.in_([r['id'] for r in rows if r['id'] != keep['id']])))
    conn.execute(feedback.update().where(f.id == keep['id']).values(**merged))


def downgrade() -> None:
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_index('ix_feedback_updated_at')
        batch_op.drop_constraint('uq_feedback_learner_session', type_='unique')
        batch_op.drop_constraint('uq_feedback_comment_prompt_id', type_='unique')
        batch_op.drop_constraint('fk_feedback_comment_prompt_id', type_='foreignkey')
    conn = op.get_bind()
    both = conn.execute(sa.select(feedback).where(f.rating.is_not(None), f.comment.is_not(None))
                        .order_by(f.id)).mappings().all()
    for row in both:  # the comment goes back to a row of its own
        conn.execute(feedback.insert().values(
            learner_id=row['learner_id'], prompt_id=row['comment_prompt_id'],
            training_session_id=row['training_session_id'], comment=row['comment'], flagged=row['flagged'],
            testimonial=row['testimonial'], consent_at=row['consent_at'], reviewed_at=row['reviewed_at'],
            created_at=row['updated_at'], updated_at=row['updated_at']))
        conn.execute(feedback.update().where(f.id == row['id']).values(
            comment=None, comment_prompt_id=None, testimonial=False, consent_at=None))
    conn.execute(feedback.update().where(f.prompt_id.is_(None)).values(prompt_id=f.comment_prompt_id))
    orphans = conn.execute(sa.select(f.id).where(f.prompt_id.is_(None))).scalars().all()
    if orphans:
        raise RuntimeError(f"feedback rows {orphans} have no prompt; the old schema needs one")
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_column('updated_at')
        batch_op.drop_column('comment_prompt_id')
        batch_op.alter_column('prompt_id', existing_type=sa.Integer(), nullable=False)

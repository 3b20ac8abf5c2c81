"""prompt: drop ix_prompt_status_due (every prompt lookup is per learner)

Why: with statistics taken when no prompt was pending (a night's expiry, then autovacuum's
ANALYZE), PostgreSQL judged ``status = 'pending'`` to match about one row and looked a
learner's pending prompt up through this index, filtering every pending prompt of the
programme by learner: 1.8 ms a learner at 31,000 pending, growing all morning (planning
fell from ~9,500 to ~1,000 learners/s). Nothing reads prompts by status across learners
any more (the planner claims learners by ``learner.wake_at``), so the index only offered
that wrong plan; ``ix_prompt_learner_status`` and the unique pending index serve every
lookup.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 06:00:00
"""
from __future__ import annotations

from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('prompt') as batch_op:
        batch_op.drop_index('ix_prompt_status_due')


def downgrade() -> None:
    with op.batch_alter_table('prompt') as batch_op:
        batch_op.create_index('ix_prompt_status_due', ['status', 'due_at'], unique=False)

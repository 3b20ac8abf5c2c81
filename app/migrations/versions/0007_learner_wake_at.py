"""learner.wake_at: the dispatcher's due index

Until now every pass found its work by reading every due card and queued prompt into
memory and then filtering learners; with a million learners due that is the whole backlog,
read again by every worker on every tick. ``wake_at`` holds, per learner, the earliest
moment the dispatcher has something to do for them, under a partial index on active
learners: a pass claims the next chunk of due learners in one statement, and an idle pass
is one index probe. ``card`` gets (learner_id, due, id) for the first card of each.

Every active learner starts due at once (2000-01-01): the first pass after the upgrade
looks at each one and sets the exact time. Early is only a wasted look; late would be a
lost message.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 15:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.models.types import UTCDateTime

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD/DROP COLUMN (SQLite has both since 3.35): a batch copy of the table would
    # drop and rebuild ``learner``, which everything else points at.
    op.add_column('learner', sa.Column('wake_at', UTCDateTime(), nullable=True))
    op.execute("UPDATE learner SET wake_at = '2000-01-01 00:00:00' WHERE status = 'active'")
    op.create_index('ix_learner_wake', 'learner', ['wake_at'], unique=False,
                    sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))


    # A learner's first card by due time, for each claimed learner: (learner_id, due, id)
    # serves it in one probe and covers everything the learner_id index did.
    op.create_index('ix_card_learner_due', 'card', ['learner_id', 'due', 'id'], unique=False)
    op.drop_index('ix_card_learner_id', table_name='card')


def downgrade() -> None:
    op.create_index('ix_card_learner_id', 'card', ['learner_id'], unique=False)
    op.drop_index('ix_card_learner_due', table_name='card')
    op.drop_index('ix_learner_wake', table_name='learner')
    op.execute("ALTER TABLE learner DROP COLUMN wake_at")

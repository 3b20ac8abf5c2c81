"""pack: languages some modules only are in, and which languages await a native speaker

``partial_languages`` are languages a pack offers in some of its modules (a learner of one
gets those modules in it, the others in English); ``needs_review`` maps a language to who
should check its texts ("native speaker"), shown in the trainer's view until removed.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 18:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no batch copy: rebuilding ``pack`` would trip the modules' foreign keys).
    op.add_column('pack', sa.Column('partial_languages', sa.JSON(), nullable=False, server_default='[]'))
    op.add_column('pack', sa.Column('needs_review', sa.JSON(), nullable=False, server_default='{}'))


def downgrade() -> None:
    op.execute("ALTER TABLE pack DROP COLUMN needs_review")
    op.execute("ALTER TABLE pack DROP COLUMN partial_languages")

"""pack.memory_parameters: FSRS's weights fitted to a pack's own answers

``saathi fit`` (and the worker, once a pack has enough new reviews) fits FSRS to the
answers given to a pack's items and keeps the weights on the pack; the engine schedules
that pack's cards with them. ``memory_reviews`` is how many answers the fit saw, so the
worker refits only when enough new ones came in.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 18:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.models.types import UTCDateTime

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD/DROP COLUMN (SQLite has both since 3.35): a batch copy of ``pack`` would drop a
    # table that modules refer to (0007 says the same of ``learner``).
    op.add_column('pack', sa.Column('memory_parameters', sa.JSON(), nullable=True))
    op.add_column('pack', sa.Column('memory_fitted_at', UTCDateTime(), nullable=True))
    op.add_column('pack', sa.Column('memory_reviews', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    for column in ('memory_reviews', 'memory_fitted_at', 'memory_parameters'):
        op.execute(f"ALTER TABLE pack DROP COLUMN {column}")

"""mentoring_notice: status, attempts, error, next_attempt_at, claimed_at (e-mail sent outside the pass)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 22:15:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.models.types import UTCDateTime

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

COLUMNS = ('status', 'attempts', 'error', 'next_attempt_at', 'claimed_at')


def upgrade() -> None:
    op.add_column('mentoring_notice', sa.Column('status', sa.String(length=10), nullable=True))
    op.add_column('mentoring_notice', sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
    op.add_column('mentoring_notice', sa.Column('error', sa.String(length=200), nullable=True))
    op.add_column('mentoring_notice', sa.Column('next_attempt_at', UTCDateTime(), nullable=True))
    op.add_column('mentoring_notice', sa.Column('claimed_at', UTCDateTime(), nullable=True))
    # E-mails recorded before this revision were sent inside the pass.
    op.execute("UPDATE mentoring_notice SET status = 'sent' WHERE channel = 'email'")


def downgrade() -> None:
    for name in reversed(COLUMNS):
        op.drop_column('mentoring_notice', name)

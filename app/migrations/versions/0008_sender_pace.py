"""senders: the outbox row remembers its sender; a shared pace per sender; claim order indexed

``outbox.sender`` is the sender chosen at a row's first claim (SAATHI_SENDERS), so a
retry or a reconciliation uses the same one. ``sender_pace`` holds each sender's GCRA
"theoretical arrival time": workers reserve segments there in one atomic UPDATE, so a
sender's segments/s holds however many workers and hosts send through it.
``ix_outbox_status_next`` gains ``id``, the claim's tie-breaker: with a million rows due
at the same moment, every claim sorted them all.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 15:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sender', sa.String(length=64), nullable=True))
    op.create_table(
        'sender_pace',
        sa.Column('sender', sa.String(length=64), nullable=False),
        sa.Column('tat', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('sender'),
    )
    op.drop_index('ix_outbox_status_next', table_name='outbox')
    op.create_index('ix_outbox_status_next', 'outbox', ['status', 'next_attempt_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_outbox_status_next', table_name='outbox')
    op.create_index('ix_outbox_status_next', 'outbox', ['status', 'next_attempt_at'], unique=False)
    op.drop_table('sender_pace')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('sender')

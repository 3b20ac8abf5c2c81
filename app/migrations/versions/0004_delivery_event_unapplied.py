"""delivery_event: partial index on unapplied events, for the dispatcher's late-callback sweep

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 07:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_delivery_event_unapplied', 'delivery_event', ['received_at'], unique=False,
                    postgresql_where=sa.text('NOT applied'), sqlite_where=sa.text('NOT applied'))


def downgrade() -> None:
    op.drop_index('ix_delivery_event_unapplied', table_name='delivery_event')

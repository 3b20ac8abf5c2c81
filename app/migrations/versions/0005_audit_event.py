"""audit_event: who changed a learner or a site, and when

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10 09:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.models.types import UTCDateTime

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'audit_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('site_id', sa.Integer(), nullable=True),
        sa.Column('learner_id', sa.Integer(), nullable=True),
        sa.Column('action', sa.String(length=32), nullable=False),
        sa.Column('detail', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['learner_id'], ['learner.id']),
        sa.ForeignKeyConstraint(['site_id'], ['site.id']),
        sa.ForeignKeyConstraint(['user_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_audit_event_site_at', 'audit_event', ['site_id', 'at'], unique=False)
    op.create_index('ix_audit_event_user_id', 'audit_event', ['user_id'], unique=False)
    op.create_index('ix_audit_event_learner_id', 'audit_event', ['learner_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_audit_event_learner_id', table_name='audit_event')
    op.drop_index('ix_audit_event_user_id', table_name='audit_event')
    op.drop_index('ix_audit_event_site_at', table_name='audit_event')
    op.drop_table('audit_event')

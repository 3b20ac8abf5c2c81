"""journey_step, journey_checkin, journey_target: steps to an outcome, check-in replies, targets

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 19:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.models.types import UTCDateTime

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'journey_step',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('learner_id', sa.Integer(), nullable=False),
        sa.Column('stage', sa.String(length=16), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=True),
        sa.Column('site_id', sa.Integer(), nullable=True),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('ends_on', sa.Date(), nullable=True),
        sa.Column('note', sa.String(length=500), nullable=False),
        sa.Column('recorded_by', sa.Integer(), nullable=True),
        sa.Column('recorded_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['learner_id'], ['learner.id']),
        sa.ForeignKeyConstraint(['site_id'], ['site.id']),
        sa.ForeignKeyConstraint(['recorded_by'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_journey_step_learner_id', 'journey_step', ['learner_id'], unique=False)
    op.create_index('ix_journey_step_site_id', 'journey_step', ['site_id'], unique=False)
    op.create_table(
        'journey_checkin',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('learner_id', sa.Integer(), nullable=False),
        sa.Column('prompt_id', sa.Integer(), nullable=True),
        sa.Column('months', sa.Integer(), nullable=False),
        sa.Column('raw', sa.String(length=320), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('answered_at', UTCDateTime(), nullable=False),
        sa.Column('resolved_by', sa.Integer(), nullable=True),
        sa.Column('resolved_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['learner_id'], ['learner.id']),
        sa.ForeignKeyConstraint(['prompt_id'], ['prompt.id']),
        sa.ForeignKeyConstraint(['resolved_by'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_journey_checkin_learner_id', 'journey_checkin', ['learner_id'], unique=False)
    op.create_index('ix_journey_checkin_status', 'journey_checkin', ['status'], unique=False)
    op.create_table(
        'journey_target',
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('share_in_work', sa.Float(), nullable=True),
        sa.Column('within_months', sa.Integer(), nullable=False),
        sa.Column('graduates_per_year', sa.Integer(), nullable=True),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['site.id']),
        sa.PrimaryKeyConstraint('site_id'),
    )


def downgrade() -> None:
    op.drop_table('journey_target')
    op.drop_index('ix_journey_checkin_status', table_name='journey_checkin')
    op.drop_index('ix_journey_checkin_learner_id', table_name='journey_checkin')
    op.drop_table('journey_checkin')
    op.drop_index('ix_journey_step_site_id', table_name='journey_step')
    op.drop_index('ix_journey_step_learner_id', table_name='journey_step')
    op.drop_table('journey_step')

"""milestone, learner_milestone, impact_page; journey_step.employer

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 21:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.models.types import UTCDateTime

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('journey_step', sa.Column('employer', sa.String(length=120), nullable=True))
    op.create_table(
        'milestone',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=32), nullable=False),
        sa.Column('title', sa.String(length=80), nullable=False),
        sa.Column('question', sa.String(length=160), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['site.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('site_id', 'key'),
    )
    op.create_index('ix_milestone_site_id', 'milestone', ['site_id'], unique=False)
    op.create_table(
        'learner_milestone',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('learner_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=32), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('prompt_id', sa.Integer(), nullable=True),
        sa.Column('confirmed_by', sa.Integer(), nullable=True),
        sa.Column('channel', sa.String(length=8), nullable=True),
        sa.Column('reached_on', sa.Date(), nullable=True),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['learner_id'], ['learner.id']),
        sa.ForeignKeyConstraint(['prompt_id'], ['prompt.id']),
        sa.ForeignKeyConstraint(['confirmed_by'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('learner_id', 'key'),
    )
    op.create_index('ix_learner_milestone_learner_id', 'learner_milestone', ['learner_id'], unique=False)
    op.create_table(
        'impact_page',
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('slug', sa.String(length=40), nullable=False),
        sa.Column('languages', sa.String(length=60), nullable=False),
        sa.Column('updated_by', sa.Integer(), nullable=True),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['site.id']),
        sa.ForeignKeyConstraint(['updated_by'], ['user.id']),
        sa.PrimaryKeyConstraint('site_id'),
        sa.UniqueConstraint('slug'),
    )


def downgrade() -> None:
    op.drop_table('impact_page')
    op.drop_index('ix_learner_milestone_learner_id', table_name='learner_milestone')
    op.drop_table('learner_milestone')
    op.drop_index('ix_milestone_site_id', table_name='milestone')
    op.drop_table('milestone')
    op.drop_column('journey_step', 'employer')

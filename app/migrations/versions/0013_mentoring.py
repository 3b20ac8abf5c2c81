"""mentor, mentee, match_decision, pair, meeting, mentoring_notice, mentoring_programme

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 21:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.models.types import UTCDateTime

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def _person(*extra: sa.Column) -> list[sa.Column]:
    return [
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        *extra,
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('phone', sa.String(length=20), nullable=True),
        sa.Column('email', sa.String(length=254), nullable=True),
        sa.Column('profession', sa.String(length=80), nullable=False),
        sa.Column('sector', sa.String(length=80), nullable=False),
        sa.Column('region', sa.String(length=80), nullable=False),
        sa.Column('languages', sa.String(length=200), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('opted_out_at', UTCDateTime(), nullable=True),
        sa.Column('consent_at', UTCDateTime(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['site.id']),
        sa.PrimaryKeyConstraint('id'),
    ]


def upgrade() -> None:
    op.create_table('mentor', *_person(), sa.Column('capacity', sa.Integer(), nullable=False),
                    sa.Column('employer', sa.String(length=120), nullable=False))
    op.create_index('ix_mentor_site_id', 'mentor', ['site_id'])
    op.create_index('ix_mentor_profession', 'mentor', ['profession'])
    op.create_index('ix_mentor_phone', 'mentor', ['phone'])  # a text from a number no learner has
    op.create_table('mentee', *_person(sa.Column('learner_id', sa.Integer(), nullable=True)),
                    sa.Column('education', sa.String(length=200), nullable=False),
                    sa.Column('goals', sa.String(length=1000), nullable=False),
                    sa.ForeignKeyConstraint(['learner_id'], ['learner.id']))
    op.create_index('ix_mentee_site_id', 'mentee', ['site_id'])
    op.create_index('ix_mentee_learner_id', 'mentee', ['learner_id'])
    op.create_index('ix_mentee_profession', 'mentee', ['profession'])
    op.create_index('ix_mentee_phone', 'mentee', ['phone'])
    op.create_table(
        'match_decision',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('mentor_id', sa.Integer(), nullable=False),
        sa.Column('mentee_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=300), nullable=False),
        sa.Column('decided_by', sa.Integer(), nullable=True),
        sa.Column('decided_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['mentor_id'], ['mentor.id']),
        sa.ForeignKeyConstraint(['mentee_id'], ['mentee.id']),
        sa.ForeignKeyConstraint(['decided_by'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('mentor_id', 'mentee_id'),
    )
    op.create_index('ix_match_decision_mentor_id', 'match_decision', ['mentor_id'])
    op.create_index('ix_match_decision_mentee_id', 'match_decision', ['mentee_id'])
    op.create_table(
        'pair',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('mentor_id', sa.Integer(), nullable=False),
        sa.Column('mentee_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('goals', sa.String(length=1000), nullable=False),
        sa.Column('proposed_at', UTCDateTime(), nullable=False),
        sa.Column('introduced_on', sa.Date(), nullable=True),
        sa.Column('started_on', sa.Date(), nullable=True),
        sa.Column('ends_on', sa.Date(), nullable=True),
        sa.Column('midpoint_at', UTCDateTime(), nullable=True),
        sa.Column('closed_at', UTCDateTime(), nullable=True),
        sa.Column('outcome_job', sa.Boolean(), nullable=True),
        sa.Column('outcome_in_field', sa.Boolean(), nullable=True),
        sa.Column('outcome_note', sa.String(length=500), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['site_id'], ['site.id']),
        sa.ForeignKeyConstraint(['mentor_id'], ['mentor.id']),
        sa.ForeignKeyConstraint(['mentee_id'], ['mentee.id']),
        sa.ForeignKeyConstraint(['created_by'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    for column in ('site_id', 'mentor_id', 'mentee_id', 'status'):
        op.create_index(f'ix_pair_{column}', 'pair', [column])
    op.create_table(
        'meeting',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('pair_id', sa.Integer(), nullable=False),
        sa.Column('held_on', sa.Date(), nullable=False),
        sa.Column('discussed', sa.String(length=1000), nullable=False),
        sa.Column('next_step', sa.String(length=500), nullable=False),
        sa.Column('logged_by', sa.Integer(), nullable=True),
        sa.Column('logged_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['pair_id'], ['pair.id']),
        sa.ForeignKeyConstraint(['logged_by'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_meeting_pair_id', 'meeting', ['pair_id'])
    op.create_table(
        'mentoring_notice',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('pair_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('person', sa.String(length=8), nullable=False),
        sa.Column('key', sa.String(length=32), nullable=False),
        sa.Column('channel', sa.String(length=8), nullable=False),
        sa.Column('outbox_id', sa.Integer(), nullable=True),
        sa.Column('body', sa.String(length=1600), nullable=False),
        sa.Column('sent_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['pair_id'], ['pair.id']),
        sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('pair_id', 'kind', 'person', 'key'),
    )
    op.create_index('ix_mentoring_notice_pair_id', 'mentoring_notice', ['pair_id'])
    op.create_table(
        'mentoring_programme',
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('pairs_per_year', sa.Integer(), nullable=True),
        sa.Column('enrol_token', sa.String(length=32), nullable=True),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['site.id']),
        sa.PrimaryKeyConstraint('site_id'),
        sa.UniqueConstraint('enrol_token'),
    )


def downgrade() -> None:
    op.drop_table('mentoring_programme')
    op.drop_index('ix_mentoring_notice_pair_id', table_name='mentoring_notice')
    op.drop_table('mentoring_notice')
    op.drop_index('ix_meeting_pair_id', table_name='meeting')
    op.drop_table('meeting')
    for column in ('site_id', 'mentor_id', 'mentee_id', 'status'):
        op.drop_index(f'ix_pair_{column}', table_name='pair')
    op.drop_table('pair')
    op.drop_index('ix_match_decision_mentee_id', table_name='match_decision')
    op.drop_index('ix_match_decision_mentor_id', table_name='match_decision')
    op.drop_table('match_decision')
    for index in ('ix_mentee_phone', 'ix_mentee_profession', 'ix_mentee_learner_id', 'ix_mentee_site_id'):
        op.drop_index(index, table_name='mentee')
    op.drop_table('mentee')
    op.drop_index('ix_mentor_phone', table_name='mentor')
    op.drop_index('ix_mentor_profession', table_name='mentor')
    op.drop_index('ix_mentor_site_id', table_name='mentor')
    op.drop_table('mentor')

"""voice_call.awaiting: the Gather action a call is waiting on

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 08:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('voice_call', schema=None) as batch_op:
        batch_op.add_column(sa.Column('awaiting', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('voice_call', schema=None) as batch_op:
        batch_op.drop_column('awaiting')

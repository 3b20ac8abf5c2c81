"""channels: WhatsApp content on the outbox, the learner's WhatsApp window, India's DLT IDs

``outbox.content_sid``/``content_variables`` carry a WhatsApp message sent through
Twilio's Content API; ``learner.whatsapp_open_until`` is the end of the 24-hour window
their last message opened; ``site.dlt_entity_id``/``dlt_header`` and
``outbox.dlt_entity_id``/``dlt_template_id`` are what an SMS to an Indian number carries for DLT;
``pack.templates`` holds a pack's registered templates (WhatsApp content, DLT) per
message kind and language.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 18:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.models.types import UTCDateTime

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_sid', sa.String(length=34), nullable=True))
        batch_op.add_column(sa.Column('content_variables', sa.String(length=1600), nullable=True))
        batch_op.add_column(sa.Column('dlt_entity_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('dlt_template_id', sa.String(length=32), nullable=True))
    with op.batch_alter_table('learner', schema=None) as batch_op:
        batch_op.add_column(sa.Column('whatsapp_open_until', UTCDateTime(), nullable=True))
    with op.batch_alter_table('pack', schema=None) as batch_op:
        batch_op.add_column(sa.Column('templates', sa.JSON(), nullable=True))
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dlt_entity_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('dlt_header', sa.String(length=11), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.drop_column('dlt_header')
        batch_op.drop_column('dlt_entity_id')
    with op.batch_alter_table('pack', schema=None) as batch_op:
        batch_op.drop_column('templates')
    with op.batch_alter_table('learner', schema=None) as batch_op:
        batch_op.drop_column('whatsapp_open_until')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('dlt_template_id')
        batch_op.drop_column('dlt_entity_id')
        batch_op.drop_column('content_variables')
        batch_op.drop_column('content_sid')

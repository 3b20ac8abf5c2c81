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


# Plain ADD/DROP COLUMN (SQLite has both since 3.35): a batch copy would drop and rebuild
# ``site``, ``learner`` and ``pack``, which other tables point at (see 0007).
def columns() -> list[tuple[str, sa.Column]]:
    return [
        ('outbox', sa.Column('content_sid', sa.String(length=34), nullable=True)),
        ('outbox', sa.Column('content_variables', sa.String(length=1600), nullable=True)),
        ('outbox', sa.Column('dlt_entity_id', sa.String(length=32), nullable=True)),
        ('outbox', sa.Column('dlt_template_id', sa.String(length=32), nullable=True)),
        ('learner', sa.Column('whatsapp_open_until', UTCDateTime(), nullable=True)),
        ('pack', sa.Column('templates', sa.JSON(), nullable=True)),
        ('site', sa.Column('dlt_entity_id', sa.String(length=32), nullable=True)),
        ('site', sa.Column('dlt_header', sa.String(length=11), nullable=True)),
    ]


def upgrade() -> None:
    for table, column in columns():
        op.add_column(table, column)


def downgrade() -> None:
    for table, column in reversed(columns()):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column.name}")

"""Who Saathi talks to: sites, cohorts and learners."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, text
from sqlmodel import Column, Field, SQLModel

from app.clock import utcnow
from app.models.types import UTCDateTime

CHANNELS = ("sms", "voice", "both", "whatsapp")
# inactive: paused by staff (left the job, on leave): nothing is sent, history is kept.
LEARNER_STATUSES = ("active", "opted_out", "invalid", "inactive")


class Site(SQLModel, table=True):
    """A workplace. Its country is the default region for phone numbers written without
    a country code; its timezone and send window decide when learners may be messaged."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True, index=True)
    country: str = Field(default="IN", max_length=2)
    timezone: str = Field(default="Asia/Kolkata", max_length=64)
    send_start: str = Field(default="09:00", max_length=5)
    send_end: str = Field(default="20:00", max_length=5)
    daily_cap: int | None = None
    # India's DLT registration: the principal entity ID and the sender header (the
    # alphanumeric sender ID) every commercial SMS to an Indian number must carry.
    dlt_entity_id: str | None = Field(default=None, max_length=32)
    dlt_header: str | None = Field(default=None, max_length=11)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class Cohort(SQLModel, table=True):
    """Learners who sit the same classroom sessions together."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True, index=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class Learner(SQLModel, table=True):
    """A frontline worker. ``phone`` is E.164 and the identity Twilio gives us back."""

    __table_args__ = (
        Index("ix_learner_wake", "wake_at", sqlite_where=text("status = 'active'"),
              postgresql_where=text("status = 'active'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    phone: str = Field(max_length=20, unique=True, index=True)
    name: str = Field(max_length=120)
    site_id: int = Field(foreign_key="site.id", index=True)
    cohort_id: int | None = Field(default=None, foreign_key="cohort.id", index=True)
    language: str = Field(default="en", max_length=8)
    channel: str = Field(default="sms", max_length=8)
    timezone: str | None = Field(default=None, max_length=64)
    status: str = Field(default="active", max_length=16, index=True)
    status_reason: str | None = Field(default=None, max_length=200)
    opted_out_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    # When the dispatcher may next look at this learner (outside the send window or over
    # the daily cap it is pushed to the next opening), so a tick never rescans the idle.
    next_contact_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, index=True))
    # The dispatcher's due index: the earliest moment it has something to do for this
    # learner (a card or queued prompt falling due, a reminder, the end of a hold); NULL
    # when nothing is known to come. It may be early, never late: any change that could
    # bring work forward lowers it (app/scheduling/wake.py), and the planner, having
    # looked, sets it exactly. Workers claim learners by it (``ix_learner_wake``).
    wake_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    # WhatsApp's customer-service window: 24 hours from the learner's last message to us.
    # Inside it anything may go; outside it only an approved template (app/channels/whatsapp.py).
    whatsapp_open_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))

    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def uses_sms(self) -> bool:
        return self.channel in ("sms", "both")

    @property
    def uses_voice(self) -> bool:
        return self.channel in ("voice", "both")

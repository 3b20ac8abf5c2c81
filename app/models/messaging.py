"""Every message in and out, so nothing is lost or sent twice.

``Inbound`` rows are unique on Twilio's MessageSid/CallSid: a retried webhook finds its
row and gets the same reply. ``Outbox`` rows are written before any API call and carry
the provider's SID afterwards; a row left in ``sending`` by a crash is reconciled
against the provider before it is ever retried.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Column, Field, SQLModel

from app.clock import utcnow
from app.models.types import UTCDateTime

OUTBOX_STATUSES = (
    "queued",       # written, not yet handed to the provider
    "sending",      # claimed by a worker; API call in flight
    "accepted",     # provider returned a SID (Twilio: queued/accepted/sending)
    "sent", "delivered", "undelivered", "failed",
    "replied",      # sent as the TwiML answer to an inbound webhook
    "dead",         # gave up after bounded retries, or the number cannot be reached
    "cancelled",    # learner opted out before it went
)


class Inbound(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    sid: str = Field(max_length=64, unique=True, index=True)
    channel: str = Field(default="sms", max_length=8)
    from_number: str = Field(max_length=32, index=True)
    to_number: str | None = Field(default=None, max_length=32)
    body: str = Field(default="", max_length=1600)
    learner_id: int | None = Field(default=None, foreign_key="learner.id", index=True)
    prompt_id: int | None = Field(default=None, foreign_key="prompt.id")
    reply: str | None = Field(default=None, max_length=1600)
    received_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class Outbox(SQLModel, table=True):
    # The claim's order (next_attempt_at, id) straight from the index: with a million rows
    # due at once, (status, next_attempt_at) alone made every claim sort them all (0.5 s).
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    learner_id: int | None = Field(default=None, foreign_key="learner.id", index=True)
    prompt_id: int | None = Field(default=None, foreign_key="prompt.id", index=True)
    kind: str = Field(default="sms", max_length=8)  # sms | call | whatsapp
    purpose: str = Field(default="prompt", max_length=16)  # prompt | reminder | reply | notice | callback
    to_number: str = Field(max_length=32)
    body: str = Field(default="", max_length=1600)
    encoding: str = Field(default="GSM-7", max_length=8)
    segments: int = 1
    status: str = Field(default="queued", max_length=16)
    sid: str | None = Field(default=None, max_length=64, unique=True)
    error_code: int | None = None
    error_message: str | None = Field(default=None, max_length=400)
    attempts: int = 0
    # The last attempt timed out or crashed: Twilio may have the message; ask before resending.
    uncertain: bool = False
    next_attempt_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    claimed_by: str | None = Field(default=None, max_length=64)
    # The sender (number, short code, alphanumeric ID or Messaging Service SID) chosen at the
    # first claim, kept so a retry or a reconciliation goes out from, and is looked up as, the same.
    sender: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    duration_seconds: int | None = None
    # WhatsApp through Twilio's Content API: the approved (or session) content and its
    # variables as JSON; ``body`` keeps the text as rendered, for history, cost and lookup.
    content_sid: str | None = Field(default=None, max_length=34)
    content_variables: str | None = Field(default=None, max_length=1600)
    # India: the DLT template this SMS was rendered from (sent with the site's entity ID).
    dlt_entity_id: str | None = Field(default=None, max_length=32)
    dlt_template_id: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False, index=True))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class DeliveryEvent(SQLModel, table=True):
    """Every status callback as received: a history, and the home of callbacks that
    arrive before the create call returned the SID they refer to."""

    __tablename__ = "delivery_event"
    __table_args__ = (
        UniqueConstraint("sid", "status"),
        # The dispatcher's sweep for callbacks that raced their SID (delivery.apply_late_events).
        Index("ix_delivery_event_unapplied", "received_at", postgresql_where=text("NOT applied"),
              sqlite_where=text("NOT applied")),
    )

    id: int | None = Field(default=None, primary_key=True)
    sid: str = Field(max_length=64, index=True)
    status: str = Field(max_length=16)
    error_code: int | None = None
    applied: bool = False
    received_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class SenderPace(SQLModel, table=True):
    """One sender's pace (GCRA): ``tat`` is the wall-clock second (epoch) from which its next
    segment may go. Every worker reserves its segments here in one atomic UPDATE, so a
    sender's segments/s holds across processes and hosts (app/scheduling/throttle.py)."""

    __tablename__ = "sender_pace"

    sender: str = Field(primary_key=True, max_length=64)
    tat: float = 0.0

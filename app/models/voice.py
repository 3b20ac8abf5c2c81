"""Voice calls: which prompts a call carries, and how far it got.

A call is planned once and may be dialled more than once (busy, no answer): each dial is
its own outbox row whose body is this call's TwiML URL, and the ``token`` in that URL
leads every webhook of every dial back to this row. The prompts stay ordinary ``Prompt``
rows; this table only remembers their order and the call's progress.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index
from sqlmodel import Column, Field, SQLModel

from app.clock import utcnow
from app.models.types import UTCDateTime

CALL_PURPOSES = ("quiz", "callback", "simulator")
# planned: waiting to be dialled (again); in-progress: Twilio fetched its TwiML;
# completed / failed (gave up dialling) / expired (left unfinished) / abandoned (superseded) /
# stopped (the learner sent STOP).
CALL_STATUSES = ("planned", "in-progress", "completed", "failed", "expired", "abandoned", "stopped")
OPEN_CALL_STATUSES = ("planned", "in-progress")


class VoiceCall(SQLModel, table=True):
    __tablename__ = "voice_call"
    __table_args__ = (Index("ix_voice_call_learner_status", "learner_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=32, unique=True, index=True)
    learner_id: int = Field(foreign_key="learner.id")
    purpose: str = Field(default="quiz", max_length=16)
    status: str = Field(default="planned", max_length=16)
    prompt_ids: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    failed_dials: int = 0
    call_sid: str | None = Field(default=None, max_length=64)
    # The Gather action the call is waiting on (None: not at a question); how the simulator
    # knows where a typed key goes, and where a stalled call stopped.
    awaiting: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    started_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    ended_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))

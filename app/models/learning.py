"""The learning record: sessions held, prompts sent, answers, feedback and FSRS cards.

These rows are what must never be lost. A ``Prompt`` is one question put to one learner;
at most one per learner is ``pending`` (sent, awaiting a reply), enforced by a partial
unique index so that two workers cannot both put a question to the same phone.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, UniqueConstraint, text
from sqlmodel import Column, Field, SQLModel

from app.clock import utcnow
from app.learning.prompt_kinds import PROMPT_KINDS  # noqa: F401  (re-exported; defined there)
from app.models.types import UTCDateTime

# paused: a post-session prompt left unanswered by STOP, queued again by START
# (app/learning/optout.py); nothing sends it meanwhile.
PROMPT_STATUSES = ("queued", "pending", "answered", "expired", "skipped", "cancelled", "paused")


class TrainingSession(SQLModel, table=True):
    """A classroom session that was held: a cohort sat a module at a time."""

    __tablename__ = "training_session"
    __table_args__ = (UniqueConstraint("cohort_id", "module_id", "held_at"),)

    id: int | None = Field(default=None, primary_key=True)
    cohort_id: int = Field(foreign_key="cohort.id", index=True)
    module_id: int = Field(foreign_key="module.id", index=True)
    held_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class Prompt(SQLModel, table=True):
    __table_args__ = (
        Index("ix_prompt_learner_status", "learner_id", "status"),
        Index(
            "uq_prompt_one_pending_per_learner",
            "learner_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    learner_id: int = Field(foreign_key="learner.id")
    kind: str = Field(max_length=16)
    status: str = Field(default="queued", max_length=16)
    item_id: int | None = Field(default=None, foreign_key="item.id", index=True)
    training_session_id: int | None = Field(default=None, foreign_key="training_session.id", index=True)
    seq: int = 0
    due_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    channel: str | None = Field(default=None, max_length=8)
    reminders_sent: int = 0
    reask_count: int = 0
    last_sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class Answer(SQLModel, table=True):
    """A learner's answer to a question prompt; one per prompt, so replays store nothing."""

    id: int | None = Field(default=None, primary_key=True)
    learner_id: int = Field(foreign_key="learner.id", index=True)
    prompt_id: int = Field(foreign_key="prompt.id", unique=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    training_session_id: int | None = Field(default=None, foreign_key="training_session.id", index=True)
    kind: str = Field(max_length=16)
    raw: str = Field(max_length=1600)
    choice: int
    correct: bool
    channel: str = Field(default="sms", max_length=8)
    answered_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))


class Feedback(SQLModel, table=True):
    """What one learner said about one session: the 1-5 rating and the comment, together.

    One row per learner and session (``uq_feedback_learner_session``), so a supervisor reads
    a rating beside the words that explain it and follows both up at once. ``prompt_id`` is
    the rating's prompt, ``comment_prompt_id`` the comment's; either may be missing (a
    rating left unanswered, a comment skipped). Feedback outside any session keeps a row
    per prompt: NULL sessions never collide in the unique constraint.
    """

    __table_args__ = (UniqueConstraint("learner_id", "training_session_id", name="uq_feedback_learner_session"),)

    id: int | None = Field(default=None, primary_key=True)
    learner_id: int = Field(foreign_key="learner.id", index=True)
    prompt_id: int | None = Field(default=None, foreign_key="prompt.id", unique=True)
    comment_prompt_id: int | None = Field(default=None, foreign_key="prompt.id", unique=True)
    training_session_id: int | None = Field(default=None, foreign_key="training_session.id", index=True)
    rating: int | None = None
    comment: str | None = Field(default=None, max_length=1600)
    flagged: bool = False
    testimonial: bool = False
    consent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    reviewed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    # When the first part arrived, and the last (a comment usually follows the rating).
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))


class Card(SQLModel, table=True):
    """One item's FSRS memory state for one learner; ``fsrs`` is ``fsrs.Card.to_dict()``."""

    # (learner, due, id): a learner's first card is one index probe, whatever the statistics
    # say (the planner reads it for every learner it claims).
    __table_args__ = (UniqueConstraint("learner_id", "item_id"), Index("ix_card_learner_due", "learner_id", "due", "id"))

    id: int | None = Field(default=None, primary_key=True)
    learner_id: int = Field(foreign_key="learner.id")
    item_id: int = Field(foreign_key="item.id", index=True)
    due: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))
    state: int = 1
    reps: int = 0
    lapses: int = 0
    last_review: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    fsrs: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))

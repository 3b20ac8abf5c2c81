"""Mentor pairs: a job seeker and a mentor of the same profession, for about six months.

Sammen om en jobb's way: mentors and mentees enrol, a coordinator picks a mentor from
ranked suggestions, introduces the two, and confirms the pair after the introduction
meeting (or declines it, remembered so the same suggestion does not come back). A pair's
meetings are logged; Saathi nudges a quiet pair, checks in at the mid-point and the end,
closes the pair after its period and asks the coordinator for the outcome.

The programme is a site here, as for journey targets: staff are scoped by site.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from app.clock import utcnow
from app.models.types import UTCDateTime

PAIR_STATUSES = ("proposed", "introduced", "active", "closed", "declined")
OPEN_STATUSES = ("proposed", "introduced", "active")  # count against a mentor's capacity
DEFAULT_MONTHS = 6


class Mentor(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    name: str = Field(max_length=120)
    phone: str | None = Field(default=None, max_length=20, index=True)
    email: str | None = Field(default=None, max_length=254)
    profession: str = Field(max_length=80, index=True)  # normalised (app/mentoring/professions.py)
    sector: str = Field(default="", max_length=80)
    region: str = Field(default="", max_length=80)
    languages: str = Field(default="", max_length=200)  # lower case, comma separated
    language: str = Field(default="en", max_length=8)  # the language Saathi writes to them in
    capacity: int = 1  # pairs at once
    employer: str = Field(default="", max_length=120)
    active: bool = True
    opted_out_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    consent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class Mentee(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    learner_id: int | None = Field(default=None, foreign_key="learner.id", index=True)
    name: str = Field(max_length=120)
    phone: str | None = Field(default=None, max_length=20, index=True)
    email: str | None = Field(default=None, max_length=254)
    profession: str = Field(max_length=80, index=True)
    education: str = Field(default="", max_length=200)
    sector: str = Field(default="", max_length=80)
    region: str = Field(default="", max_length=80)
    languages: str = Field(default="", max_length=200)
    language: str = Field(default="en", max_length=8)
    goals: str = Field(default="", max_length=1000)
    active: bool = True
    opted_out_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    consent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class MatchDecision(SQLModel, table=True):
    """A mentor declined for a mentee: the suggestion is not made again."""

    __tablename__ = "match_decision"
    __table_args__ = (UniqueConstraint("mentor_id", "mentee_id"),)

    id: int | None = Field(default=None, primary_key=True)
    mentor_id: int = Field(foreign_key="mentor.id", index=True)
    mentee_id: int = Field(foreign_key="mentee.id", index=True)
    reason: str = Field(default="", max_length=300)
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class Pair(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    mentor_id: int = Field(foreign_key="mentor.id", index=True)
    mentee_id: int = Field(foreign_key="mentee.id", index=True)
    status: str = Field(default="proposed", max_length=12, index=True)
    goals: str = Field(default="", max_length=1000)
    proposed_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    introduced_on: date | None = Field(default=None, sa_column=Column(Date))
    started_on: date | None = Field(default=None, sa_column=Column(Date))
    ends_on: date | None = Field(default=None, sa_column=Column(Date))
    midpoint_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    # The outcome, asked for at the close: did the mentee find work, and in their field?
    outcome_job: bool | None = None
    outcome_in_field: bool | None = None
    outcome_note: str = Field(default="", max_length=500)
    created_by: int | None = Field(default=None, foreign_key="user.id")


class Meeting(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    pair_id: int = Field(foreign_key="pair.id", index=True)
    held_on: date = Field(sa_column=Column(Date, nullable=False))
    discussed: str = Field(default="", max_length=1000)
    next_step: str = Field(default="", max_length=500)
    logged_by: int | None = Field(default=None, foreign_key="user.id")
    logged_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class MentoringNotice(SQLModel, table=True):
    """A nudge or check-in sent to one side of a pair. Unique on what it is about, so a
    follow-up pass run twice (or by two workers) never sends it twice."""

    __tablename__ = "mentoring_notice"
    __table_args__ = (UniqueConstraint("pair_id", "kind", "person", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    pair_id: int = Field(foreign_key="pair.id", index=True)
    kind: str = Field(max_length=12)  # nudge | midpoint | end
    person: str = Field(max_length=8)  # mentor | mentee
    key: str = Field(max_length=32)  # what it answers to: a nudge the day of the last meeting
    channel: str = Field(max_length=8)  # sms | email | none (opted out, no address)
    outbox_id: int | None = Field(default=None, foreign_key="outbox.id")
    body: str = Field(default="", max_length=1600)
    sent_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))  # when the pass recorded it
    # E-mail only (app/mentoring/outmail.py): queued | sending | sent | failed | cancelled. The pass
    # records it queued; a separate step claims, sends and marks it, outside the pass's transaction.
    status: str | None = Field(default=None, max_length=10)
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    error: str | None = Field(default=None, max_length=200)
    next_attempt_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    claimed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class MentoringProgramme(SQLModel, table=True):
    """A site's mentoring settings: the yearly target and the public enrolment link."""

    __tablename__ = "mentoring_programme"

    site_id: int = Field(foreign_key="site.id", primary_key=True)
    pairs_per_year: int | None = None
    # Set: the public forms /join/<token>/mentor and /mentee are open; None: closed.
    enrol_token: str | None = Field(default=None, max_length=32, unique=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))

"""Where a learner goes after the classroom: the dated steps of their journey.

A journey is the learner's steps in date order, never a single "current state" column:
a step is appended, not edited, so a move to another employer site or a placement that
ended keeps what came before. Each step names the site it happened at (the employer site
of a placement), which need not be the learner's site of today.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from app.clock import utcnow
from app.models.types import UTCDateTime

STAGES = ("enrolled", "training", "graduated", "placement", "outcome")
# What a placement or an outcome was; the other stages have no kind.
KINDS = {
    "placement": ("trial", "internship", "practice"),
    "outcome": ("contract", "new_job", "promotion", "education", "looking", "left"),
}
# Outcomes a programme counts as "in work, education or practice".
GOOD_OUTCOMES = ("contract", "new_job", "promotion", "education")


class JourneyStep(SQLModel, table=True):
    __tablename__ = "journey_step"

    id: int | None = Field(default=None, primary_key=True)
    learner_id: int = Field(foreign_key="learner.id", index=True)
    stage: str = Field(max_length=16)
    kind: str | None = Field(default=None, max_length=16)
    site_id: int | None = Field(default=None, foreign_key="site.id", index=True)
    # An employer that is no Saathi site, by name (a placement); the site stays the learner's.
    employer: str | None = Field(default=None, max_length=120)
    starts_on: date = Field(sa_column=Column(Date, nullable=False))
    ends_on: date | None = Field(default=None, sa_column=Column(Date))
    note: str = Field(default="", max_length=500)
    recorded_by: int | None = Field(default=None, foreign_key="user.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


CHECKIN_STATUSES = ("answered", "unclear", "resolved")


class JourneyCheckin(SQLModel, table=True):
    """A learner's reply to an outcome check-in SMS (3, 6, 12 months after graduating).

    A clear reply also appends an outcome step; an unclear one waits here, ``unclear``,
    in the supervisors' queue until one of them has followed up (``resolved``).
    """

    __tablename__ = "journey_checkin"

    id: int | None = Field(default=None, primary_key=True)
    learner_id: int = Field(foreign_key="learner.id", index=True)
    prompt_id: int | None = Field(default=None, foreign_key="prompt.id")
    months: int
    raw: str = Field(max_length=320)
    kind: str | None = Field(default=None, max_length=16)
    status: str = Field(max_length=16, index=True)
    answered_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    resolved_by: int | None = Field(default=None, foreign_key="user.id")
    resolved_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class JourneyTarget(SQLModel, table=True):
    """What a programme promises its funders. A programme is a site here: staff are scoped
    by site, cohorts belong to one, and no programme table exists yet; a site's cohorts are
    measured against their site's target."""

    __tablename__ = "journey_target"

    site_id: int = Field(foreign_key="site.id", primary_key=True)
    # Share (0-1) of graduates in work, education or practice within ``within_months``.
    share_in_work: float | None = None
    within_months: int = 6
    graduates_per_year: int | None = None
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class Milestone(SQLModel, table=True):
    """A programme's own skills milestone, beside the built-in ones (``app.journeys.milestones``).

    ``title`` and ``question`` are in the programme's language, as staff typed them."""

    __tablename__ = "milestone"
    __table_args__ = (UniqueConstraint("site_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    key: str = Field(max_length=32)
    title: str = Field(max_length=80)
    question: str = Field(max_length=160)


MILESTONE_STATUSES = ("asked", "reached", "not_yet")


class LearnerMilestone(SQLModel, table=True):
    """Where one learner stands on one milestone: asked (a question is out), reached (the
    learner said yes, or a trainer confirmed it), or not yet. One row per learner and
    milestone; asking again later moves the same row."""

    __tablename__ = "learner_milestone"
    __table_args__ = (UniqueConstraint("learner_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    learner_id: int = Field(foreign_key="learner.id", index=True)
    key: str = Field(max_length=32)
    status: str = Field(max_length=16)
    prompt_id: int | None = Field(default=None, foreign_key="prompt.id")
    # Who confirmed it: a user, else the learner on ``channel``.
    confirmed_by: int | None = Field(default=None, foreign_key="user.id")
    channel: str | None = Field(default=None, max_length=8)
    reached_on: date | None = Field(default=None, sa_column=Column(Date))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class ImpactPage(SQLModel, table=True):
    """A programme's public impact page: off unless an admin turns it on."""

    __tablename__ = "impact_page"

    site_id: int = Field(foreign_key="site.id", primary_key=True)
    enabled: bool = False
    slug: str = Field(max_length=40, unique=True)
    languages: str = Field(default="en", max_length=60)  # comma-separated codes; the first is the default
    updated_by: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))

"""What a cohort's schedule bought, measured: the counterpart of ``saathi simulate``.

The simulator predicts, before a programme starts, how much a schedule costs in segments
and how much is still remembered weeks after the session. Once learners are on it, these
queries show the same two things from real rows: the share of reviews answered right by
days since the session, and the segments spent per learner. Keyword-only, per cohort,
aggregated in SQL (one grouped query each), on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Integer, case, cast, distinct, func
from sqlmodel import Session, select

from app.db import is_postgres
from app.models import Answer, Item, Learner, Outbox, TrainingSession

# Statuses a carrier bills: handed over, or answered inside a webhook's TwiML.
BILLED = ("accepted", "sent", "delivered", "undelivered", "replied")
# How a supervisor reads days since the session: (label, first day, last day).
DAY_BUCKETS = (("0", 0, 0), ("1-2", 1, 2), ("3-6", 3, 6), ("7-13", 7, 13), ("14-29", 14, 29),
               ("30-59", 30, 59), ("60-89", 60, 89), ("90+", 90, 10**6))


@dataclass
class RecallPoint:
    """Reviews answered ``days`` (or a bucket of days) after the session, and how many right."""

    days: str
    reviews: int = 0
    correct: int = 0

    @property
    def share_right(self) -> float | None:
        return self.correct / self.reviews if self.reviews else None


def _whole_days(db: Session, later, earlier):
    if is_postgres(db):
        return cast(func.floor(func.extract("epoch", later - earlier) / 86400), Integer)
    return cast(func.floor(func.julianday(later) - func.julianday(earlier)), Integer)


def _window(query, column, start: datetime | None, end: datetime | None):
    if start is not None:
        query = query.where(column >= start)
    if end is not None:
        query = query.where(column < end)
    return query


def recall_by_days(*, db: Session, cohort_id: int, kinds: tuple[str, ...] = ("review",),
                   start: datetime | None = None, end: datetime | None = None) -> list[RecallPoint]:
    """Answers of ``kinds`` per whole day since the cohort's session on the item's module.

    A module the cohort sat twice counts from its first session. Days run from the
    session's ``held_at``; answers before it (none, normally) are left out. One row per
    day that has answers, in order; ``bucket`` groups them as a dashboard shows them.
    """
    first_held = (select(TrainingSession.module_id.label("module_id"),
                         func.min(TrainingSession.held_at).label("held_at"))
                  .where(TrainingSession.cohort_id == cohort_id)
                  .group_by(TrainingSession.module_id).subquery())
    days = _whole_days(db, Answer.answered_at, first_held.c.held_at).label("days")
    query = (select(days, func.count(Answer.id), func.coalesce(func.sum(case((Answer.correct, 1), else_=0)), 0))
             .select_from(Answer)
             .join(Learner, Learner.id == Answer.learner_id)
             .join(Item, Item.id == Answer.item_id)
             .join(first_held, first_held.c.module_id == Item.module_id)
             .where(Learner.cohort_id == cohort_id, Answer.kind.in_(kinds),
                    Answer.answered_at >= first_held.c.held_at))
    query = _window(query, Answer.answered_at, start, end).group_by(days).order_by(days)
    return [RecallPoint(str(d), n, c) for d, n, c in db.exec(query)]


def bucket(points: list[RecallPoint], buckets=DAY_BUCKETS) -> list[RecallPoint]:
    """Per-day points added up into ``buckets`` (every bucket listed, empty ones too)."""
    out = [RecallPoint(label) for label, _, _ in buckets]
    for point in points:
        day = int(point.days)
        for target, (_, first, last) in zip(out, buckets):
            if first <= day <= last:
                target.reviews += point.reviews
                target.correct += point.correct
                break
    return out


@dataclass
class Spend:
    """What a cohort's messages cost, in the units the carrier bills."""

    learners: int = 0
    messaged: int = 0  # learners with at least one billed message
    messages: int = 0
    segments: int = 0
    voice_seconds: int = 0
    by_purpose: dict[str, int] = field(default_factory=dict)  # purpose -> segments

    @property
    def segments_per_learner(self) -> float | None:
        return self.segments / self.learners if self.learners else None

    @property
    def voice_minutes(self) -> float:
        return self.voice_seconds / 60


def spend(*, db: Session, cohort_id: int, start: datetime | None = None,
          end: datetime | None = None) -> Spend:
    """Billed messages, SMS segments and call seconds of a cohort, by purpose.

    Segments count SMS only (``kind == "sms"``); calls are billed by the minute and
    reported as ``voice_seconds``. Learners are the cohort's registered learners, so
    ``segments_per_learner`` spreads the cost over everyone, answering or not.
    """
    result = Spend(learners=db.exec(select(func.count(Learner.id)).where(Learner.cohort_id == cohort_id)).one())
    sms = Outbox.kind == "sms"
    query = (select(Outbox.purpose, func.count(Outbox.id), func.count(distinct(Outbox.learner_id)),
                    func.coalesce(func.sum(case((sms, Outbox.segments), else_=0)), 0),
                    func.coalesce(func.sum(case((sms, 0), else_=func.coalesce(Outbox.duration_seconds, 0))), 0))
             .select_from(Outbox).join(Learner, Learner.id == Outbox.learner_id)
             .where(Learner.cohort_id == cohort_id, Outbox.status.in_(BILLED)))
    for purpose, messages, _learners, segments, seconds in db.exec(
            _window(query, Outbox.created_at, start, end).group_by(Outbox.purpose)):
        result.messages += messages
        result.segments += segments
        result.voice_seconds += seconds
        result.by_purpose[purpose] = segments
    messaged = (select(func.count(distinct(Outbox.learner_id))).select_from(Outbox)
                .join(Learner, Learner.id == Outbox.learner_id)
                .where(Learner.cohort_id == cohort_id, Outbox.status.in_(BILLED)))
    result.messaged = db.exec(_window(messaged, Outbox.created_at, start, end)).one()
    return result


def segments_per_learner(*, db: Session, cohort_id: int, start: datetime | None = None,
                         end: datetime | None = None) -> list[tuple[int, int]]:
    """(segments, learners) pairs: how many learners cost how many segments, cheapest first.

    Learners with no billed message appear with 0, so the pairs describe everyone.
    """
    billed = Outbox.status.in_(BILLED) & (Outbox.kind == "sms")
    outbox = _window(select(Outbox.learner_id.label("learner_id"),
                            func.sum(Outbox.segments).label("segments")).where(billed),
                     Outbox.created_at, start, end).group_by(Outbox.learner_id).subquery()
    per_learner = func.coalesce(outbox.c.segments, 0).label("per_learner")
    inner = (select(per_learner).select_from(Learner)
             .outerjoin(outbox, outbox.c.learner_id == Learner.id)
             .where(Learner.cohort_id == cohort_id).subquery())
    query = (select(inner.c.per_learner, func.count()).group_by(inner.c.per_learner)
             .order_by(inner.c.per_learner))
    return [(int(s), n) for s, n in db.exec(query)]


@dataclass
class CohortLearning:
    """One cohort's measured counterpart of a ``saathi simulate`` row: what was spent per
    learner, and how often reviews were answered right as the weeks went by."""

    cohort_id: int
    name: str
    spend: Spend
    recall: list[RecallPoint]  # every bucket of DAY_BUCKETS, empty ones too
    distribution: list[tuple[int, int]]  # (segments, learners), cheapest first

    @property
    def reviews(self) -> int:
        return sum(p.reviews for p in self.recall)

    @property
    def right_per_100_segments(self) -> float | None:
        """Reviews answered right per 100 SMS segments spent on the cohort: the measured side
        of the simulator's "per 100 seg" (docs/learning.md), whether spacing pays here."""
        right = sum(p.correct for p in self.recall)
        return 100 * right / self.spend.segments if self.spend.segments else None

    def _quantile(self, q: float) -> int | None:
        total = sum(n for _, n in self.distribution)
        if not total:
            return None
        seen = 0
        for segments, learners in self.distribution:
            seen += learners
            if seen >= q * total:
                return segments
        return self.distribution[-1][0]

    @property
    def median_segments(self) -> int | None:
        return self._quantile(0.5)

    @property
    def most_segments(self) -> int | None:
        return self.distribution[-1][0] if self.distribution else None


def by_cohort(*, db: Session, cohorts: list, start: datetime | None = None,
              end: datetime | None = None) -> list[CohortLearning]:
    """``CohortLearning`` for each of ``cohorts`` (rows with ``id`` and ``name``), in order.

    Three grouped queries per cohort: a site has a handful of cohorts, and the dashboard
    shows them side by side with the buckets the simulator prints.
    """
    out = []
    for cohort in cohorts:
        window = {"db": db, "cohort_id": cohort.id, "start": start, "end": end}
        out.append(CohortLearning(cohort.id, cohort.name, spend(**window), bucket(recall_by_days(**window)),
                                  segments_per_learner(**window)))
    return out

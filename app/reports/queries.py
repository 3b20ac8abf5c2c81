"""Progress numbers per site and cohort: who is learning, what lands, what it costs.

Every function takes ``site_ids`` (``None`` = all sites) and optionally ``cohort_id`` and
a half-open period ``[start, end)`` of aware datetimes. A learner belongs to the site and
cohort they are registered in now; sessions belong to the cohort that sat them.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, fields
from datetime import date, datetime

from sqlalchemy import Integer, case, cast, distinct, func
from sqlmodel import Session, select

from app.db import is_postgres
from app.learning.prompt_kinds import QUESTION_KINDS
from app.models import (
    Answer,
    Cohort,
    Feedback,
    Item,
    Learner,
    Module,
    Outbox,
    Prompt,
    TrainingSession,
)

UNDELIVERED = ("undelivered", "failed", "dead")
# Statuses a carrier bills for: handed over (or answered inside a webhook's TwiML).
BILLED = ("accepted", "sent", "delivered", "read", "undelivered", "replied")
# Days since the session, grouped as a supervisor reads them: (label, first day, last day).
RETENTION_BUCKETS = (("1-2", 0, 2), ("3-6", 3, 6), ("7-13", 7, 13), ("14-29", 14, 29),
                     ("30-59", 30, 59), ("60+", 60, 10**6))


@dataclass
class Metrics:
    """Counts for one group of learners (a site, a cohort, or everything in scope)."""

    learners: int = 0
    active: int = 0
    opted_out: int = 0
    answering: int = 0
    sessions: int = 0
    questions_sent: int = 0
    answers: int = 0
    correct: int = 0
    ratings: int = 0
    rating_sum: int = 0
    comments: int = 0
    undelivered: int = 0
    messages: int = 0
    segments: int = 0

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.answers if self.answers else None

    @property
    def answer_rate(self) -> float | None:
        return min(1.0, self.answers / self.questions_sent) if self.questions_sent else None

    @property
    def average_rating(self) -> float | None:
        return self.rating_sum / self.ratings if self.ratings else None

    @property
    def segments_per_learner(self) -> float | None:
        return self.segments / self.learners if self.learners else None

    def add(self, other: Metrics) -> Metrics:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self


def in_sites(query, column, site_ids):
    """``query`` restricted to ``site_ids`` (unchanged when ``None``: every site)."""
    if site_ids is None:
        return query
    return query.where(column.in_(site_ids or {-1}))


def in_period(query, column, start: datetime | None, end: datetime | None):
    if start is not None:
        query = query.where(column >= start)
    if end is not None:
        query = query.where(column < end)
    return query


def _learner_filter(query, *, site_ids, cohort_id):
    query = in_sites(query, Learner.site_id, site_ids)
    if cohort_id is not None:
        query = query.where(Learner.cohort_id == cohort_id)
    return query


def _count_true(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def breakdown(*, db: Session, site_ids: set[int] | None, by: str = "cohort", cohort_id: int | None = None,
              start: datetime | None = None, end: datetime | None = None) -> dict[int | None, Metrics]:
    """``Metrics`` per site (``by="site"``) or per cohort (``by="cohort"``), six grouped queries."""
    if by not in ("site", "cohort"):
        raise ValueError("by must be 'site' or 'cohort'")
    key = Learner.site_id if by == "site" else Learner.cohort_id
    out: dict[int | None, Metrics] = defaultdict(Metrics)

    def learner_query(*columns):
        return _learner_filter(select(key, *columns).select_from(Learner), site_ids=site_ids, cohort_id=cohort_id).group_by(key)

    opted_out = Learner.status == "opted_out"
    if start is not None:
        opted_out = opted_out & (Learner.opted_out_at >= start)
    if end is not None:
        opted_out = opted_out & (Learner.opted_out_at < end)
    for k, n, active, out_n in db.exec(learner_query(
            func.count(Learner.id), _count_true(Learner.status == "active"), _count_true(opted_out))):
        out[k].learners, out[k].active, out[k].opted_out = n, active, out_n

    session_key = Cohort.site_id if by == "site" else TrainingSession.cohort_id
    sessions = in_sites(select(session_key, func.count(TrainingSession.id)).select_from(TrainingSession)
                        .join(Cohort, Cohort.id == TrainingSession.cohort_id), Cohort.site_id, site_ids)
    if cohort_id is not None:
        sessions = sessions.where(TrainingSession.cohort_id == cohort_id)
    for k, n in db.exec(in_period(sessions, TrainingSession.held_at, start, end).group_by(session_key)):
        out[k].sessions = n

    sent = learner_query(func.count(Prompt.id)).join(Prompt, Prompt.learner_id == Learner.id).where(
        Prompt.kind.in_(QUESTION_KINDS), Prompt.sent_at.is_not(None))
    for k, n in db.exec(in_period(sent, Prompt.sent_at, start, end)):
        out[k].questions_sent = n

    answers = learner_query(func.count(Answer.id), _count_true(Answer.correct),
                            func.count(distinct(Answer.learner_id))).join(Answer, Answer.learner_id == Learner.id)
    for k, n, correct, answering in db.exec(in_period(answers, Answer.answered_at, start, end)):
        out[k].answers, out[k].correct, out[k].answering = n, correct, answering

    feedback = learner_query(func.count(Feedback.rating), func.coalesce(func.sum(Feedback.rating), 0),
                             func.count(Feedback.comment)).join(Feedback, Feedback.learner_id == Learner.id)
    for k, n, total, comments in db.exec(in_period(feedback, Feedback.created_at, start, end)):
        out[k].ratings, out[k].rating_sum, out[k].comments = n, total, comments

    outbox = learner_query(_count_true(Outbox.status.in_(UNDELIVERED)), _count_true(Outbox.status.in_(BILLED)),
                           func.coalesce(func.sum(case((Outbox.status.in_(BILLED), Outbox.segments), else_=0)), 0)
                           ).join(Outbox, Outbox.learner_id == Learner.id)
    for k, undelivered, messages, segments in db.exec(in_period(outbox, Outbox.created_at, start, end)):
        out[k].undelivered, out[k].messages, out[k].segments = undelivered, messages, segments
    return dict(out)


def overview(*, db: Session, site_ids: set[int] | None, cohort_id: int | None = None,
             start: datetime | None = None, end: datetime | None = None) -> Metrics:
    """All of ``breakdown`` added up: the headline numbers of a dashboard."""
    total = Metrics()
    for metrics in breakdown(db=db, site_ids=site_ids, by="site", cohort_id=cohort_id,
                             start=start, end=end).values():
        total.add(metrics)
    return total


@dataclass
class Accuracy:
    """Answers to one module or item; ``label`` is a title dict (per language) or a text."""

    id: int
    key: str
    label: dict
    answers: int
    correct: int
    extra: dict = field(default_factory=dict)

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.answers if self.answers else None

    @property
    def missed(self) -> int:
        return self.answers - self.correct


def _answers_query(*columns, site_ids, cohort_id, start, end, session_id=None):
    query = select(*columns, func.count(Answer.id), _count_true(Answer.correct)).select_from(Answer) \
        .join(Item, Item.id == Answer.item_id).join(Module, Module.id == Item.module_id) \
        .join(Learner, Learner.id == Answer.learner_id)
    if session_id is not None:
        query = query.where(Answer.training_session_id == session_id)
    return in_period(_learner_filter(query, site_ids=site_ids, cohort_id=cohort_id), Answer.answered_at, start, end)


def accuracy_by_module(*, db: Session, site_ids: set[int] | None, cohort_id: int | None = None,
                       start: datetime | None = None, end: datetime | None = None) -> list[Accuracy]:
    """Share of right answers per module, in pack order."""
    query = _answers_query(Module.id, Module.key, Module.title, site_ids=site_ids, cohort_id=cohort_id,
                           start=start, end=end).group_by(Module.id)  # PostgreSQL cannot group by JSON; the rest depends on the key
    rows = [Accuracy(mid, key, title or {}, n, c) for mid, key, title, n, c in db.exec(query)]
    return sorted(rows, key=lambda r: r.key)


def accuracy_by_item(*, db: Session, site_ids: set[int] | None, cohort_id: int | None = None,
                     module_id: int | None = None, session_id: int | None = None,
                     start: datetime | None = None, end: datetime | None = None,
                     limit: int | None = None) -> list[Accuracy]:
    """Per item, the most-missed first (by share missed, then by number missed)."""
    query = _answers_query(Item.id, Module.key, Item.slug, Item.question, site_ids=site_ids,
                           cohort_id=cohort_id, start=start, end=end, session_id=session_id)
    if module_id is not None:
        query = query.where(Item.module_id == module_id)
    query = query.group_by(Item.id, Module.id)
    rows = [Accuracy(iid, f"{mkey}/{slug}", question or {}, n, c)
            for iid, mkey, slug, question, n, c in db.exec(query)]
    rows.sort(key=lambda r: (-(r.missed / r.answers if r.answers else 0), -r.missed, r.key))
    return rows[:limit] if limit else rows


@dataclass
class RetentionPoint:
    label: str
    reviews: int
    correct: int

    @property
    def retention(self) -> float | None:
        return self.correct / self.reviews if self.reviews else None


def _days_between(db: Session, later, earlier):
    if is_postgres(db):
        return cast(func.floor(func.extract("epoch", later - earlier) / 86400), Integer)
    return cast(func.julianday(later) - func.julianday(earlier), Integer)


def retention(*, db: Session, site_ids: set[int] | None, cohort_id: int | None = None,
              start: datetime | None = None, end: datetime | None = None) -> list[RetentionPoint]:
    """Share of review answers that were right, by days since the learner's session on that item.

    A review prompt carries no session, so each (learner, item) is dated by the earliest
    session in which the learner answered that item's quiz question.
    """
    learned = select(Answer.learner_id.label("learner_id"), Answer.item_id.label("item_id"),
                     func.min(TrainingSession.held_at).label("held_at")) \
        .join(TrainingSession, TrainingSession.id == Answer.training_session_id) \
        .where(Answer.kind == "question").group_by(Answer.learner_id, Answer.item_id).subquery()
    days = _days_between(db, Answer.answered_at, learned.c.held_at).label("days")
    query = select(days, func.count(Answer.id), _count_true(Answer.correct)).select_from(Answer) \
        .join(learned, (learned.c.learner_id == Answer.learner_id) & (learned.c.item_id == Answer.item_id)) \
        .join(Learner, Learner.id == Answer.learner_id).where(Answer.kind == "review")
    query = in_period(_learner_filter(query, site_ids=site_ids, cohort_id=cohort_id),
                      Answer.answered_at, start, end).group_by(days)
    points = {label: RetentionPoint(label, 0, 0) for label, _, _ in RETENTION_BUCKETS}
    for day, n, correct in db.exec(query):
        for label, first, last in RETENTION_BUCKETS:
            if first <= max(int(day or 0), 0) <= last:
                points[label].reviews += n
                points[label].correct += correct
                break
    return list(points.values())


@dataclass
class LearnerCost:
    learner_id: int
    name: str
    phone: str
    messages: int
    segments: int


def segments_by_learner(*, db: Session, site_ids: set[int] | None, cohort_id: int | None = None,
                        start: datetime | None = None, end: datetime | None = None,
                        limit: int | None = 20) -> list[LearnerCost]:
    """Billed messages and segments per learner, the most expensive first."""
    billed = Outbox.status.in_(BILLED)
    segments = func.coalesce(func.sum(case((billed, Outbox.segments), else_=0)), 0)
    query = select(Learner.id, Learner.name, Learner.phone, _count_true(billed), segments) \
        .select_from(Learner).join(Outbox, Outbox.learner_id == Learner.id)
    query = in_period(_learner_filter(query, site_ids=site_ids, cohort_id=cohort_id), Outbox.created_at, start, end)
    query = query.group_by(Learner.id, Learner.name, Learner.phone).order_by(segments.desc(), Learner.name)
    if limit:
        query = query.limit(limit)
    return [LearnerCost(*row) for row in db.exec(query)]


def as_date(value) -> date:
    """``func.date`` gives a string on SQLite and a date on PostgreSQL."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def answers_by_day(*, db: Session, site_ids: set[int] | None, cohort_id: int | None = None,
                   start: datetime | None = None, end: datetime | None = None) -> list[tuple[date, int, int]]:
    """(UTC day, answers, right answers) for every day with answers, oldest first."""
    day = func.date(Answer.answered_at)
    query = select(day, func.count(Answer.id), _count_true(Answer.correct)).select_from(Answer) \
        .join(Learner, Learner.id == Answer.learner_id)
    query = in_period(_learner_filter(query, site_ids=site_ids, cohort_id=cohort_id), Answer.answered_at, start, end)
    return [(as_date(d), n, c) for d, n, c in db.exec(query.group_by(day).order_by(day))]


@dataclass
class SessionRow:
    session: TrainingSession
    cohort: Cohort
    module: Module
    answers: int = 0
    correct: int = 0
    ratings: int = 0
    rating_sum: int = 0

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.answers if self.answers else None

    @property
    def average_rating(self) -> float | None:
        return self.rating_sum / self.ratings if self.ratings else None


def sessions(*, db: Session, site_ids: set[int] | None, cohort_id: int | None = None,
             start: datetime | None = None, end: datetime | None = None, limit: int | None = 50) -> list[SessionRow]:
    """Sessions held, newest first, with their quiz accuracy and average rating."""
    query = select(TrainingSession, Cohort, Module).select_from(TrainingSession).join(Cohort, Cohort.id == TrainingSession.cohort_id) \
        .join(Module, Module.id == TrainingSession.module_id)
    query = in_period(in_sites(query, Cohort.site_id, site_ids), TrainingSession.held_at, start, end)
    if cohort_id is not None:
        query = query.where(TrainingSession.cohort_id == cohort_id)
    query = query.order_by(TrainingSession.held_at.desc(), TrainingSession.id.desc())
    rows = {s.id: SessionRow(s, c, m) for s, c, m in db.exec(query.limit(limit) if limit else query)}
    if not rows:
        return []
    ids = list(rows)
    for sid, n, correct in db.exec(select(Answer.training_session_id, func.count(Answer.id),
                                          _count_true(Answer.correct))
                                   .where(Answer.training_session_id.in_(ids))
                                   .group_by(Answer.training_session_id)):
        rows[sid].answers, rows[sid].correct = n, correct
    for sid, n, total in db.exec(select(Feedback.training_session_id, func.count(Feedback.rating),
                                        func.coalesce(func.sum(Feedback.rating), 0))
                                 .where(Feedback.training_session_id.in_(ids))
                                 .group_by(Feedback.training_session_id)):
        rows[sid].ratings, rows[sid].rating_sum = n, total
    return list(rows.values())

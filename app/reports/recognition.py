"""The month's most diligent learners of a site, for a certificate on the notice board.

Diligence is answering: ranked by answers given, then accuracy, then the longest run of
consecutive days with an answer. Days are UTC calendar days; every send window Saathi
uses lies well inside one UTC day for the countries it serves (IN, NO, NL).
"""
from __future__ import annotations

from calendar import monthrange
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import case, func
from sqlmodel import Session, select

from app.models import Answer, Cohort, Learner
from app.reports.queries import as_date, in_period, in_sites


@dataclass
class Diligence:
    learner: Learner
    cohort: Cohort | None
    answers: int = 0
    correct: int = 0
    days: set = field(default_factory=set)

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.answers if self.answers else None

    @property
    def active_days(self) -> int:
        return len(self.days)

    @property
    def streak(self) -> int:
        """Longest run of consecutive days with at least one answer."""
        best = run = 0
        previous = None
        for day in sorted(self.days):
            run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
            best, previous = max(best, run), day
        return best


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    start = datetime(year, month, 1, tzinfo=UTC)
    return start, start + timedelta(days=monthrange(year, month)[1])


def diligent_learners(*, db: Session, site_ids: set[int] | None, site_id: int | None = None,
                      year: int, month: int, limit: int = 10) -> list[Diligence]:
    """The top ``limit`` learners of the month by answers, accuracy and streak.

    One grouped query returns (learner, day, answers, right) rows: at most learners x 31.
    """
    start, end = month_bounds(year, month)
    day = func.date(Answer.answered_at)
    query = select(Answer.learner_id, day, func.count(Answer.id),
                   func.coalesce(func.sum(case((Answer.correct, 1), else_=0)), 0)) \
        .select_from(Answer).join(Learner, Learner.id == Answer.learner_id)
    query = in_period(in_sites(query, Learner.site_id, site_ids), Answer.answered_at, start, end)
    if site_id is not None:
        query = query.where(Learner.site_id == site_id)
    totals: dict[int, dict] = defaultdict(lambda: {"answers": 0, "correct": 0, "days": set()})
    for learner_id, d, n, correct in db.exec(query.group_by(Answer.learner_id, day)):
        t = totals[learner_id]
        t["answers"] += n
        t["correct"] += correct
        t["days"].add(as_date(d))
    if not totals:
        return []
    people = {learner.id: (learner, cohort) for learner, cohort in db.exec(
        select(Learner, Cohort).outerjoin(Cohort, Cohort.id == Learner.cohort_id)
        .where(Learner.id.in_(list(totals))))}
    rows = [Diligence(people[lid][0], people[lid][1], t["answers"], t["correct"], t["days"])
            for lid, t in totals.items() if lid in people]
    rows.sort(key=lambda r: (-r.answers, -(r.accuracy or 0), -r.streak, r.learner.name))
    return rows[:limit]


def parse_month(value: str | None, today: date) -> tuple[int, int]:
    """``YYYY-MM`` as (year, month); this month when absent or malformed."""
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        if 1 <= month <= 12 and 2000 <= year <= 2100:
            return year, month
    except ValueError:
        pass
    return today.year, today.month

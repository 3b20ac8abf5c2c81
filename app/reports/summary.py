"""Weekly and monthly summaries of one site, per cohort, for print and for spreadsheets.

A period is a calendar week (Monday to Sunday) or month in the *site's* timezone: the
report a supervisor in Mumbai prints on Monday covers Mumbai's week, not UTC's.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from app.i18n import N_
from app.models import Cohort, Site
from app.reports.csvfile import MACHINE, csv_text
from app.reports.queries import Accuracy, Metrics, accuracy_by_item, breakdown
from app.reports.recognition import month_bounds

KINDS = ("weekly", "monthly")


@dataclass(frozen=True)
class Period:
    kind: str
    first: date  # first day
    end: date  # first day after

    @property
    def last(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def slug(self) -> str:
        return self.first.isoformat() if self.kind == "weekly" else self.first.strftime("%Y-%m")

    def previous(self) -> Period:
        return period_for(self.kind, None, self.first - timedelta(days=1))

    def following(self) -> Period:
        return period_for(self.kind, None, self.end)

    def bounds(self, timezone: str) -> tuple[datetime, datetime]:
        zone = ZoneInfo(timezone)
        return (datetime.combine(self.first, time(), zone), datetime.combine(self.end, time(), zone))


def period_for(kind: str, value: str | None, today: date) -> Period:
    """The week (``value`` any ``YYYY-MM-DD`` in it) or month (``YYYY-MM``) asked for, else today's."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    day = today
    if value:
        try:
            day = date.fromisoformat(value if kind == "weekly" or len(value) > 7 else value + "-01")
        except ValueError:
            day = today
    if kind == "weekly":
        first = day - timedelta(days=day.weekday())
        return Period(kind, first, first + timedelta(days=7))
    start, end = month_bounds(day.year, day.month)
    return Period(kind, start.date(), end.date())


@dataclass
class CohortLine:
    name: str
    metrics: Metrics


@dataclass
class SiteSummary:
    site: Site
    period: Period
    lines: list[CohortLine] = field(default_factory=list)
    total: Metrics = field(default_factory=Metrics)
    most_missed: list[Accuracy] = field(default_factory=list)


def site_summary(*, db: Session, site: Site, period: Period) -> SiteSummary:
    """The site's numbers for ``period``, one line per cohort, plus its most-missed items.

    The caller has already checked that the user may see ``site``.
    """
    start, end = period.bounds(site.timezone)
    per_cohort = breakdown(db=db, site_ids={site.id}, by="cohort", start=start, end=end)
    names = {c.id: c.name for c in db.exec(select(Cohort).where(Cohort.site_id == site.id)).all()}
    summary = SiteSummary(site=site, period=period)
    for cohort_id in sorted(set(names) | set(per_cohort), key=lambda c: names.get(c, "~")):
        metrics = per_cohort.get(cohort_id, Metrics())
        summary.lines.append(CohortLine(names.get(cohort_id, "—"), metrics))
        summary.total.add(metrics)
    summary.most_missed = [row for row in accuracy_by_item(db=db, site_ids={site.id}, start=start, end=end,
                                                           limit=5) if row.missed]
    return summary


CSV_COLUMNS = ("site", "period", "from", "to", "cohort", "learners", "active", "opted_out",
               "learners_answering", "sessions_held", "questions_sent", "answers", "accuracy_percent",
               "ratings", "average_rating", "comments", "undelivered", "messages", "segments",
               "segments_per_learner")
# Headers a spreadsheet shows, translated into the reader's language (``say``).
CSV_LABELS = {"site": N_("Site"), "period": N_("Period"), "from": N_("From"), "to": N_("To"),
              "cohort": N_("Cohort"), "learners": N_("Learners"), "active": N_("Active"),
              "opted_out": N_("Opted out"), "learners_answering": N_("Learners answering"),
              "sessions_held": N_("Sessions held"), "questions_sent": N_("Questions sent"),
              "answers": N_("Answers"), "accuracy_percent": N_("Right answers (%)"), "ratings": N_("Ratings"),
              "average_rating": N_("Average rating"), "comments": N_("Comments"),
              "undelivered": N_("Undelivered messages"), "messages": N_("Messages"), "segments": N_("Segments"),
              "segments_per_learner": N_("SMS segments per learner")}


def _csv_line(summary: SiteSummary, name: str, m: Metrics) -> list:
    p = summary.period
    return [x for x in (
        summary.site.name, p.slug, p.first.isoformat(), p.last.isoformat(), name, m.learners, m.active,
        m.opted_out, m.answering, m.sessions, m.questions_sent, m.answers,
        "" if m.accuracy is None else round(100 * m.accuracy, 1), m.ratings,
        "" if m.average_rating is None else round(m.average_rating, 2), m.comments, m.undelivered,
        m.messages, m.segments, "" if m.segments_per_learner is None else round(m.segments_per_learner, 2))]


def summary_csv(summary: SiteSummary, *, style: str = MACHINE, language: str = "en") -> str:
    """The summary as CSV: a header, one row per cohort, then a row named ``TOTAL``
    (``app.reports.csvfile``: ``localised`` for a spreadsheet, ``machine`` for scripts)."""
    rows = [_csv_line(summary, line.name, line.metrics) for line in summary.lines]
    rows.append(_csv_line(summary, "TOTAL", summary.total))
    return csv_text(CSV_COLUMNS, rows, labels=CSV_LABELS, style=style, language=language)

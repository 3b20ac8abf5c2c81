"""Recording and reading a learner's journey: plain functions over a database session.

The web page, the API and the CLI all record through ``record_step``, so the checks a
step must pass (a known stage and kind, a date not in the future, an end after the start,
an employer site that exists) live here once. Errors carry an English message for the CLI
and the API, and ``explained`` (msgid + values) for a page to show in the reader's language.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, select

from app.i18n import N_
from app.journeys import checkins
from app.models import Learner, Site
from app.models.journey import GOOD_OUTCOMES, KINDS, STAGES, JourneyCheckin, JourneyStep

NOTE_MAX = 500
EMPLOYER_MAX = 120


@dataclass
class JourneyError(ValueError):
    msgid: str
    values: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return self.msgid % self.values if self.values else self.msgid


def record_step(*, db: Session, learner: Learner, stage: str, starts_on: date, now: datetime,
                kind: str | None = None, ends_on: date | None = None, site_id: int | None = None,
                note: str = "", recorded_by: int | None = None, employer: str | None = None) -> JourneyStep:
    """Append a step to ``learner``'s journey (flushed, not committed).

    ``site_id`` is where the step happened (a placement's employer site); it defaults to
    the learner's site today, and is kept when the learner later moves. ``employer`` names an
    employer that is no Saathi site (a placement or an outcome): free text, beside the site.
    """
    if stage not in STAGES:
        raise JourneyError(N_("Unknown step %(stage)s."), {"stage": stage})
    kinds = KINDS.get(stage, ())
    kind = kind or None
    if kinds and kind not in kinds:
        raise JourneyError(N_("Choose the kind that fits this step."))
    if not kinds:
        kind = None
    if starts_on > now.date():
        raise JourneyError(N_("A step cannot be dated in the future."))
    if ends_on is not None and ends_on < starts_on:
        raise JourneyError(N_("The end date is before the start date."))
    site_id = site_id or learner.site_id
    if db.get(Site, site_id) is None:
        raise JourneyError(N_("No such site."))
    employer = (employer or "").strip()[:EMPLOYER_MAX] or None
    step = JourneyStep(learner_id=learner.id, stage=stage, kind=kind, site_id=site_id, employer=employer,
                       starts_on=starts_on,
                       ends_on=ends_on, note=(note or "").strip()[:NOTE_MAX], recorded_by=recorded_by, recorded_at=now)
    db.add(step)
    db.flush()
    if stage == "graduated":
        checkins.schedule(db, learner=learner, graduated_on=starts_on, now=now)
    return step


def journey_of(*, db: Session, learner_id: int) -> list[JourneyStep]:
    """The learner's steps, oldest first (same day: in the order they were recorded)."""
    return list(db.exec(select(JourneyStep).where(JourneyStep.learner_id == learner_id)
                        .order_by(JourneyStep.starts_on, JourneyStep.id)).all())


def current_step(steps: list[JourneyStep]) -> JourneyStep | None:
    return steps[-1] if steps else None


def graduated_on(steps: list[JourneyStep]) -> date | None:
    """The (latest) graduation date, from which outcomes are counted."""
    dates = [s.starts_on for s in steps if s.stage == "graduated"]
    return max(dates) if dates else None


def in_work_or_study(steps: list[JourneyStep]) -> bool:
    """Whether the latest outcome or placement counts as work, education or practice."""
    for step in reversed(steps):
        if step.stage == "outcome":
            return step.kind in GOOD_OUTCOMES
        if step.stage == "placement":
            return step.ends_on is None
    return False


def site_names(db: Session, steps: list[JourneyStep]) -> dict[int, str]:
    """The names of the sites ``steps`` happened at."""
    ids = {s.site_id for s in steps if s.site_id}
    return {s.id: s.name for s in db.exec(select(Site).where(Site.id.in_(ids or {-1}))).all()}


def export_rows(*, db: Session, learner_id: int) -> dict:
    """The journey and the check-in replies as JSON-ready data, for a learner's data export."""
    journey = journey_of(db=db, learner_id=learner_id)
    sites = site_names(db, journey)
    replies = db.exec(select(JourneyCheckin).where(JourneyCheckin.learner_id == learner_id)
                      .order_by(JourneyCheckin.answered_at, JourneyCheckin.id)).all()
    steps = [{"stage": s.stage, "kind": s.kind, "site": sites.get(s.site_id), "employer": s.employer,
              "starts_on": s.starts_on.isoformat(),
             "ends_on": s.ends_on.isoformat() if s.ends_on else None, "note": s.note,
             "recorded_at": s.recorded_at.isoformat()} for s in journey]
    checkins = [{"months": c.months, "reply": c.raw, "outcome": c.kind, "status": c.status,
                 "answered_at": c.answered_at.isoformat()} for c in replies]
    return {"steps": steps, "checkins": checkins}

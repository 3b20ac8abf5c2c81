"""Outcomes against targets, per site (the programme) and per cohort.

Two numbers per row, each with the learners behind it so a page can list them:
graduates of the last 12 months (against ``graduates_per_year``), and, of those whose
``within_months`` have passed, how many had a placement or a work/education outcome
recorded within that time (against ``share_in_work``). Learners are counted where they
are registered today; graduates without a graduation step are not counted at all.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlmodel import Session, select

from app.journeys.checkins import months_after
from app.models import Cohort, Learner, Site
from app.models.journey import GOOD_OUTCOMES, JourneyStep, JourneyTarget

WHICH = ("graduated", "due", "in_work")


@dataclass
class Tally:
    site: Site
    cohort: Cohort | None
    target: JourneyTarget | None
    learners: dict[str, set[int]] = field(default_factory=lambda: {w: set() for w in WHICH})
    members: set[int] = field(default_factory=set)  # every learner of the row, graduated or not

    @property
    def share(self) -> float | None:
        due = len(self.learners["due"])
        return len(self.learners["in_work"]) / due if due else None


def _counts_as_work(step: JourneyStep) -> bool:
    return step.stage == "placement" or (step.stage == "outcome" and step.kind in GOOD_OUTCOMES)


def tallies(*, db: Session, site_ids: set[int] | None, today: date) -> list[Tally]:
    """One row per site in ``site_ids`` (``None``: all), each followed by its cohorts' rows."""
    sites = db.exec(select(Site).order_by(Site.name)).all()
    sites = [s for s in sites if site_ids is None or s.id in site_ids]
    if not sites:
        return []
    ids = [s.id for s in sites]
    targets = {t.site_id: t for t in db.exec(select(JourneyTarget).where(JourneyTarget.site_id.in_(ids))).all()}
    cohorts = defaultdict(list)
    for cohort in db.exec(select(Cohort).where(Cohort.site_id.in_(ids)).order_by(Cohort.name)).all():
        cohorts[cohort.site_id].append(cohort)
    learners = {lid: (site_id, cohort_id) for lid, site_id, cohort_id in
                db.exec(select(Learner.id, Learner.site_id, Learner.cohort_id).where(Learner.site_id.in_(ids))).all()}
    steps = defaultdict(list)
    for step in db.exec(select(JourneyStep).where(JourneyStep.learner_id.in_(list(learners) or [-1]))
                        .order_by(JourneyStep.starts_on, JourneyStep.id)).all():
        steps[step.learner_id].append(step)
    rows, by_key = [], {}
    for site in sites:
        by_key[(site.id, None)] = Tally(site, None, targets.get(site.id))
        rows.append(by_key[(site.id, None)])
        for cohort in cohorts[site.id]:
            by_key[(site.id, cohort.id)] = Tally(site, cohort, targets.get(site.id))
            rows.append(by_key[(site.id, cohort.id)])
    year_ago = today - timedelta(days=365)
    for lid, (site_id, cohort_id) in learners.items():
        for key in ((site_id, None), (site_id, cohort_id)):
            if key in by_key:
                by_key[key].members.add(lid)
        graduated = [s.starts_on for s in steps[lid] if s.stage == "graduated"]
        if not graduated:
            continue
        on = max(graduated)
        months = targets[site_id].within_months if site_id in targets else 6
        deadline = months_after(on, months)
        which = {"graduated"} if on > year_ago else set()
        if deadline <= today:
            which.add("due")
            if any(on <= s.starts_on <= deadline and _counts_as_work(s) for s in steps[lid]):
                which.add("in_work")
        for key in ((site_id, None), (site_id, cohort_id)):
            if key in by_key:
                for w in which:
                    by_key[key].learners[w].add(lid)
    return rows


def set_target(*, db: Session, site: Site, now, share_in_work: float | None = None, within_months: int | None = None,
               graduates_per_year: int | None = None) -> JourneyTarget:
    """Create or change a site's target; what is not given is kept."""
    if share_in_work is not None and not 0 <= share_in_work <= 1:
        raise ValueError("the share must be between 0 and 100 %")
    if within_months is not None and not 1 <= within_months <= 60:
        raise ValueError("months must be between 1 and 60")
    target = db.get(JourneyTarget, site.id) or JourneyTarget(site_id=site.id)
    if share_in_work is not None:
        target.share_in_work = share_in_work
    if within_months is not None:
        target.within_months = within_months
    if graduates_per_year is not None:
        target.graduates_per_year = graduates_per_year
    target.updated_at = now
    db.add(target)
    db.flush()
    return target

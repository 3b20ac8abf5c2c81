"""API views and models of journeys: read a learner's steps, record one.

Kept apart from ``routes``/``schemas`` so the journeys area stays in one place; imported
by the blueprint before ``routes`` so ``add_helper_routes`` sees these operations too.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from flask import url_for
from pydantic import BaseModel, Field

from app.clock import get_clock
from app.db import get_db
from app.journeys.steps import (
    EMPLOYER_MAX,
    NOTE_MAX,
    JourneyError,
    journey_of,
    record_step,
    site_names,
)
from app.journeys.targets import tallies
from app.models.journey import STAGES
from app.web.api import queries
from app.web.api.auth import current_user, site_scope
from app.web.api.errors import ApiError, not_found
from app.web.api.openapi import operation
from app.web.api.schemas import DbId, Ref, Strict


class JourneyStepCreate(Strict):
    """One step of a learner's journey, as a supervisor records it."""

    stage: Literal[STAGES]
    kind: str | None = Field(None, max_length=16, description="A placement's kind (trial, internship, "
                             "practice) or an outcome's (contract, new_job, promotion, education, looking, "
                             "left); none for the other stages.")
    site_id: DbId | None = Field(None, description="Where it happened (a placement's employer site), one of "
                                 "your sites; default: the learner's site.")
    employer: str | None = Field(None, max_length=EMPLOYER_MAX, description="An employer that is no Saathi "
                                 "site, by name (a placement's, an outcome's).")
    starts_on: date = Field(description="The day the step began; not in the future.")
    ends_on: date | None = Field(None, description="The day it ended (a placement's last day).")
    note: str = Field("", max_length=NOTE_MAX)


class JourneyStepOut(BaseModel):
    id: int
    stage: Literal[STAGES]
    kind: str | None
    site: Ref | None
    employer: str | None = None
    starts_on: date
    ends_on: date | None
    note: str
    recorded_at: datetime


class JourneyOut(BaseModel):
    learner: Ref
    steps: list[JourneyStepOut] = Field(description="Oldest first.")


def _learner_or_404(learner_id: int):
    found = queries.visible_learner(db=get_db(), site_ids=site_scope(), learner_id=learner_id)
    if found is None:
        raise not_found(f"No learner {learner_id} among your sites.")
    return found


def _step_out(step, sites: dict[int, str]) -> JourneyStepOut:
    site = Ref(id=step.site_id, name=sites[step.site_id]) if step.site_id in sites else None
    return JourneyStepOut(id=step.id, stage=step.stage, kind=step.kind, site=site, employer=step.employer,
                          starts_on=step.starts_on,
                          ends_on=step.ends_on, note=step.note, recorded_at=step.recorded_at)


@operation("GET", "/learners/<learner_id>/journey", response=JourneyOut)
def learner_journey(learner_id: int):
    """A learner's journey: enrolment, training, graduation, placements and outcomes, dated."""
    learner = _learner_or_404(learner_id)
    steps = journey_of(db=get_db(), learner_id=learner.id)
    sites = site_names(get_db(), steps)
    return JourneyOut(learner=Ref(id=learner.id, name=learner.name), steps=[_step_out(s, sites) for s in steps])


@operation("POST", "/learners/<learner_id>/journey", response=JourneyStepOut, status=201,
           body=JourneyStepCreate, roles=("supervisor", "admin"))
def record_journey_step(learner_id: int, body: JourneyStepCreate):
    """Record a step of a learner's journey (supervisors and admins).

    The learner and the site must be among yours (404 otherwise). A step dated in the
    future, an end before the start, or a kind that does not fit the stage is refused
    with 422 and the reason.
    """
    db = get_db()
    learner = _learner_or_404(learner_id)
    if body.site_id is not None and queries.visible_site(db=db, site_ids=site_scope(), site_id=body.site_id) is None:
        raise not_found(f"No site {body.site_id} among your sites.")
    try:
        step = record_step(db=db, learner=learner, stage=body.stage, kind=body.kind, site_id=body.site_id,
                           starts_on=body.starts_on, ends_on=body.ends_on, note=body.note, employer=body.employer,
                           recorded_by=current_user().id, now=get_clock().now())
        db.commit()
    except JourneyError as exc:
        db.rollback()
        raise ApiError(422, "step_refused", str(exc)) from None
    return _step_out(step, site_names(db, [step])), {"Location": url_for("api.learner_journey", learner_id=learner.id)}


class TargetOut(BaseModel):
    share_in_work: float | None = Field(description="Share (0-1) of graduates in work, education or practice ...")
    within_months: int = Field(description="... within this many months of graduating.")
    graduates_per_year: int | None


class OutcomeRow(BaseModel):
    site: Ref
    cohort: Ref | None = Field(description="Null on the site's own row (all its learners).")
    graduated: list[int] = Field(description="Learners who graduated in the last 12 months.")
    due: list[int] = Field(description="Graduates whose target months have passed.")
    in_work: list[int] = Field(description="Of those, learners with a placement or a work or education outcome "
                               "recorded within the months.")
    share: float | None = Field(description="`in_work` / `due`; null when nobody is due.")
    target: TargetOut | None


class OutcomeList(BaseModel):
    rows: list[OutcomeRow]


@operation("GET", "/outcomes", response=OutcomeList)
def outcomes():
    """Outcomes against targets for each of your sites (a site is the programme) and its cohorts."""
    rows = tallies(db=get_db(), site_ids=site_scope(), today=get_clock().now().date())
    return OutcomeList(rows=[OutcomeRow(
        site=Ref(id=r.site.id, name=r.site.name), cohort=Ref(id=r.cohort.id, name=r.cohort.name) if r.cohort else None,
        graduated=sorted(r.learners["graduated"]), due=sorted(r.learners["due"]), in_work=sorted(r.learners["in_work"]),
        share=r.share, target=TargetOut(share_in_work=r.target.share_in_work, within_months=r.target.within_months,
                                        graduates_per_year=r.target.graduates_per_year) if r.target else None)
        for r in rows])

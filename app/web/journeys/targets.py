"""Outcomes against targets per site and cohort, each number one click from its learners."""
from __future__ import annotations

from flask import abort, render_template, request
from sqlalchemy import func
from sqlmodel import select

from app.clock import get_clock
from app.db import get_db
from app.journeys import milestones
from app.journeys.targets import WHICH, tallies
from app.models import JourneyCheckin, Learner, Site
from app.web.auth.guards import in_scope, scope
from app.web.dashboard.params import arg_date, arg_int
from app.web.journeys import bp


def _today():
    return get_clock().now().date()


@bp.get("/journeys")
def outcomes():
    """Graduates and the share in work, education or practice, against each site's target."""
    db = get_db()
    rows = tallies(db=db, site_ids=scope(), today=_today())
    query = select(func.count()).select_from(JourneyCheckin).join(Learner, Learner.id == JourneyCheckin.learner_id) \
        .where(JourneyCheckin.status == "unclear")
    if scope() is not None:
        query = query.where(Learner.site_id.in_(scope() or {-1}))
    reached = milestones.counts(db, set().union(*(r.members for r in rows)) if rows else set())
    shown = {}  # the built-in milestones and the own ones of the sites shown, no other site's
    for site_id in dict.fromkeys(r.site.id for r in rows):
        shown.update({d.key: d for d in milestones.definitions(db, site_id) if d.key not in shown})
    return render_template("journeys/outcomes.html", rows=rows, unclear=db.exec(query).one(), reached=reached,
                           milestones=list(shown.values()))


@bp.get("/journeys/learners")
def outcome_learners():
    """The learners behind one number of the outcomes page; 404 for a site outside scope."""
    site_id, cohort_id, which = arg_int("site"), arg_int("cohort"), request.args.get("which")
    milestone = request.args.get("milestone")
    if site_id is None or (which not in WHICH and not milestone) or not in_scope(site_id):
        abort(404)
    db = get_db()
    on = arg_date("on")  # as the numbers stood that day (the over-time view)
    today = min(on, _today()) if on else _today()
    row = next((r for r in tallies(db=db, site_ids={site_id}, today=today)
                if (r.cohort.id if r.cohort else None) == cohort_id), None)
    if row is None:
        abort(404)
    if milestone:
        found = milestones.definition(db, site_id, milestone)
        if found is None:
            abort(404)
        ids = milestones.counts(db, row.members).get(milestone, set())
        which = found
    else:
        ids = row.learners[which]
    people = db.exec(select(Learner).where(Learner.id.in_(ids or {-1})).order_by(Learner.name)).all()
    return render_template("journeys/outcome_learners.html", row=row, which=which, people=people,
                           site=db.get(Site, site_id), on=on)

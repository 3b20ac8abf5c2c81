"""The journey page of one learner: its steps, and the form that records the next one."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlmodel import select

from app.access import scope_to_sites
from app.clock import get_clock
from app.db import get_db
from app.journeys.checkins import KIND as CHECKIN_KIND
from app.journeys.steps import JourneyError, journey_of, record_step, site_names
from app.models import JourneyCheckin, Learner, Prompt, Site, User
from app.models.journey import KINDS, STAGES
from app.web.auth.guards import get_or_404, in_scope
from app.web.journeys import bp
from app.web.journeys.forms import StepForm
from app.web.journeys.names import KIND_NAMES, kind_name, stage_name
from app.web.workspace.forms import choices

RECORDERS = ("supervisor", "admin")


@bp.app_template_filter("journey_stage")
def journey_stage_filter(code):
    return stage_name(code)


@bp.app_template_filter("journey_kind")
def journey_kind_filter(code):
    return kind_name(code)


@bp.app_template_global()
def journey_rows(learner_id: int) -> list:
    """``(step, site name, recorder name)`` of a learner the page already showed is in scope."""
    db = get_db()
    steps = journey_of(db=db, learner_id=learner_id)
    sites = site_names(db, steps)
    recorders = {s.recorded_by for s in steps if s.recorded_by}
    users = {u.id: (u.name or u.email) for u in db.exec(select(User).where(User.id.in_(recorders or {-1}))).all()}
    return [(step, sites.get(step.site_id, ""), users.get(step.recorded_by, "")) for step in steps]


@bp.app_template_global()
def queued_checkins(learner_id: int) -> list:
    """The learner's outcome check-ins still to be asked, soonest first (``seq``: the month)."""
    return list(get_db().exec(select(Prompt).where(Prompt.learner_id == learner_id, Prompt.kind == CHECKIN_KIND,
                                                   Prompt.status.in_(("queued", "pending", "paused")))
                              .order_by(Prompt.due_at)).all())


def _form(learner: Learner) -> StepForm:
    form = StepForm()
    form.stage.choices = choices((code, stage_name(code)) for code in STAGES)
    kinds = [kind for stage in STAGES for kind in KINDS.get(stage, ())]
    form.kind.choices = choices([("", "–"), *((code, _(KIND_NAMES[code])) for code in kinds)])
    sites = get_db().exec(scope_to_sites(select(Site), Site.id, db=get_db(), user=current_user)
                          .order_by(Site.name)).all()
    form.site.choices = choices((s.id, s.name) for s in sites)
    if form.site.data is None:
        form.site.data = learner.site_id
    return form


@bp.route("/learners/<int:learner_id>/journey", methods=["GET", "POST"])
def journey(learner_id: int):
    """The learner's journey; supervisors and admins record a step by POST (403 for others).

    404 when the learner, or the employer site chosen, is outside the user's sites.
    """
    db = get_db()
    learner = get_or_404(Learner, learner_id)
    form = _form(learner)
    may_record = current_user.role in RECORDERS
    if form.is_submitted():
        if not may_record:
            abort(403)
        if form.validate():
            if not in_scope(form.site.data):
                abort(404)
            try:
                record_step(db=db, learner=learner, stage=form.stage.data, kind=form.kind.data,
                            site_id=form.site.data, starts_on=form.starts_on.data, ends_on=form.ends_on.data,
                            note=form.note.data or "", recorded_by=current_user.id, now=get_clock().now(),
                            employer=form.employer.data)
            except JourneyError as exc:
                db.rollback()
                flash(_(exc.msgid, **exc.values), "error")
            else:
                db.commit()
                flash(_("Step recorded."), "success")
                return redirect(url_for("journeys.journey", learner_id=learner.id))
    return render_template("journeys/journey.html", learner=learner, form=form, may_record=may_record,
                           site=db.get(Site, learner.site_id))


@bp.get("/journeys/checkins")
def checkins():
    """Check-in replies Saathi could not read, from learners of the user's sites, oldest first."""
    db = get_db()
    rows = db.exec(scope_to_sites(select(JourneyCheckin, Learner, Site)
                                  .join(Learner, Learner.id == JourneyCheckin.learner_id)
                                  .join(Site, Site.id == Learner.site_id).where(JourneyCheckin.status == "unclear"), Learner.site_id, db=db, user=current_user)
                   .order_by(JourneyCheckin.answered_at, JourneyCheckin.id).limit(500)).all()
    return render_template("journeys/checkins.html", rows=rows, may_record=current_user.role in RECORDERS)


@bp.post("/journeys/checkins/<int:checkin_id>/resolve")
def resolve_checkin(checkin_id: int):
    """Mark an unclear reply as followed up (supervisors and admins; 404 outside their sites)."""
    if current_user.role not in RECORDERS:
        abort(403)
    db = get_db()
    checkin = get_or_404(JourneyCheckin, checkin_id, site_of=lambda row: db.get(Learner, row.learner_id).site_id)
    if checkin.status == "unclear":
        checkin.status, checkin.resolved_by, checkin.resolved_at = "resolved", current_user.id, get_clock().now()
        db.add(checkin)
        db.commit()
        flash(_("Marked as followed up."), "success")
    return redirect(url_for("journeys.checkins"))

"""Staff enrol mentors and mentees, or make an existing learner a mentee."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlmodel import select

from app.access import scope_to_sites
from app.clock import get_clock
from app.db import get_db
from app.mentoring.people import MentoringError, enrol_mentee, enrol_mentor, mentee_from_learner
from app.models import Learner, Site
from app.web.auth.guards import get_or_404, in_scope
from app.web.mentoring import bp
from app.web.mentoring.forms import LearnerMenteeForm, MenteeForm, MentorForm
from app.web.mentoring.names import refusal

ENROLLERS = ("trainer", "supervisor", "admin")


def person_fields(form) -> dict:
    return {name: (getattr(form, name).data or "") for name in ("name", "phone", "email", "profession", "sector",
                                                                 "region", "languages", "language")}


def _enrol(kind: str):
    if current_user.role not in ENROLLERS:
        abort(403)
    db = get_db()
    sites = db.exec(scope_to_sites(select(Site), Site.id, db=db, user=current_user).order_by(Site.name)).all()
    form = (MentorForm() if kind == "mentor" else MenteeForm()).fill(sites, str(get_locale()))
    if form.validate_on_submit():
        if not in_scope(form.site.data):
            abort(404)
        site = db.get(Site, form.site.data)
        try:
            if kind == "mentor":
                row = enrol_mentor(db, site=site, capacity=form.capacity.data, employer=form.employer.data or "",
                                   consent=form.consent.data, now=get_clock().now(), **person_fields(form))
            else:
                row = enrol_mentee(db, site=site, education=form.education.data or "", goals=form.goals.data or "",
                                   consent=form.consent.data, now=get_clock().now(), **person_fields(form))
        except MentoringError as exc:
            db.rollback()
            form.phone.errors = [*form.phone.errors, refusal(exc)]
        else:
            db.commit()
            flash(_("Enrolled."), "success")
            if kind == "mentor":
                return redirect(url_for("mentoring.mentor", mentor_id=row.id))
            return redirect(url_for("mentoring.mentee", mentee_id=row.id))
    return render_template("mentoring/enrol.html", form=form, kind=kind, public=False), 400 if form.errors else 200


@bp.route("/mentors/new", methods=["GET", "POST"])
def new_mentor():
    """Enrol a mentor (trainers, supervisors, admins) in one of the user's programmes."""
    return _enrol("mentor")


@bp.route("/mentees/new", methods=["GET", "POST"])
def new_mentee():
    """Enrol a mentee (trainers, supervisors, admins) in one of the user's programmes."""
    return _enrol("mentee")


@bp.route("/learners/<int:learner_id>/mentee", methods=["GET", "POST"])
def learner_mentee(learner_id: int):
    """Make an existing learner a mentee: name, number, site and language come with them."""
    if current_user.role not in ENROLLERS:
        abort(403)
    db = get_db()
    learner = get_or_404(Learner, learner_id)
    form = LearnerMenteeForm()
    if form.validate_on_submit():
        fields = {name: getattr(form, name).data or "" for name in ("education", "sector", "region", "languages",
                                                                     "goals")}
        try:
            row = mentee_from_learner(db, learner=learner, profession=form.profession.data, now=get_clock().now(),
                                      **fields)
        except MentoringError as exc:
            db.rollback()
            flash(refusal(exc), "error")
        else:
            db.commit()
            flash(_("Enrolled."), "success")
            return redirect(url_for("mentoring.mentee", mentee_id=row.id))
    return render_template("mentoring/learner_mentee.html", form=form, learner=learner)

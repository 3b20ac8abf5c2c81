"""The public enrolment forms of a programme: ``/join/<token>/mentor`` and ``/mentee``.

No sign-in: the link is the programme's opt-in (``MentoringProgramme.enrol_token``, set
and cleared on the programme's mentoring settings); an unknown or closed link is a 404.
CSRF applies as to every form, consent must be ticked, and the page speaks the visitor's
language (``?lang=`` or the browser's).
"""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request, session
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlmodel import select

from app.clock import get_clock
from app.db import get_db
from app.languages import LANGUAGES
from app.mentoring.people import MentoringError, enrol_mentee, enrol_mentor
from app.models import MentoringProgramme, Site
from app.web.mentoring.enrol import person_fields
from app.web.mentoring.forms import MenteeForm, MentorForm
from app.web.mentoring.names import refusal

bp = Blueprint("join", __name__, url_prefix="/join")


@bp.before_request
def _language():
    if request.args.get("lang") in LANGUAGES:
        session["language"] = request.args["lang"]


@bp.route("/<token>/<any(mentor, mentee):kind>", methods=["GET", "POST"])
def enrol(token: str, kind: str):
    """The short form; 200 with a thank-you once enrolled, 400 with the errors, 404 for a closed link."""
    db = get_db()
    programme = db.exec(select(MentoringProgramme).where(MentoringProgramme.enrol_token == token)).first()
    if programme is None or not token:
        abort(404)
    site = db.get(Site, programme.site_id)
    form = (MentorForm() if kind == "mentor" else MenteeForm()).fill([site], str(get_locale()))
    form.site.data = site.id
    if form.is_submitted():
        valid = form.validate()
        if not form.consent.data:
            form.consent.errors = [*form.consent.errors, _("Please tick the box to agree.")]
            valid = False
        if valid:
            try:
                if kind == "mentor":
                    enrol_mentor(db, site=site, capacity=form.capacity.data, employer=form.employer.data or "",
                                 now=get_clock().now(), **person_fields(form))
                else:
                    enrol_mentee(db, site=site, education=form.education.data or "", goals=form.goals.data or "",
                                 now=get_clock().now(), **person_fields(form))
            except MentoringError as exc:
                db.rollback()
                form.phone.errors = [*form.phone.errors, refusal(exc)]
            else:
                db.commit()
                return render_template("mentoring/thanks.html", site=site, kind=kind)
        return render_template("mentoring/enrol.html", form=form, kind=kind, public=True, site=site), 400
    return render_template("mentoring/enrol.html", form=form, kind=kind, public=True, site=site)

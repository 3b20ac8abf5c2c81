"""Feedback review, follow-up and the testimonial bank."""
from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.clock import get_clock
from app.db import get_db
from app.models import Feedback, Learner, Site
from app.reports import feedback as fb
from app.web.auth.guards import get_or_404, roles_required, scope
from app.web.dashboard import bp
from app.web.dashboard.params import (
    arg_int,
    visible_cohort,
    visible_cohorts,
    visible_session,
    visible_sites,
)

log = logging.getLogger(__name__)


def _filters() -> fb.FeedbackFilter:
    """The filters from the query string; one naming another site's object is a 404."""
    f = fb.FeedbackFilter(site_id=arg_int("site"), cohort_id=arg_int("cohort"), session_id=arg_int("session"),
                          rating=arg_int("rating"), low=request.args.get("low") == "1",
                          comments=request.args.get("comments") == "1", flagged=True if request.args.get("flagged") == "1" else None)
    if f.site_id is not None and scope() is not None and f.site_id not in scope():
        abort(404)
    if f.cohort_id is not None and visible_cohort(f.cohort_id) is None:
        abort(404)
    if f.session_id is not None and visible_session(f.session_id) is None:
        abort(404)
    if f.rating is not None and not 1 <= f.rating <= 5:
        f.rating = None
    return f


@bp.get("/feedback")
def feedback_list():
    """Every rating and comment, newest first, filtered by site, cohort, session, rating or flag."""
    f = _filters()
    page = max(arg_int("page") or 1, 1)
    rows, total = fb.list_feedback(db=get_db(), site_ids=scope(), filters=f, page=page)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("dashboard/feedback.html", rows=rows, total=total, page=page, filters=f,
                           pages=max(1, -(-total // fb.PAGE_SIZE)), args=args, sites=visible_sites(),
                           cohorts=visible_cohorts(f.site_id))


def _feedback_or_404(feedback_id: int) -> Feedback:
    db = get_db()
    return get_or_404(Feedback, feedback_id, site_of=lambda row: db.get(Learner, row.learner_id).site_id)


def consent_moment(day_text: str, *, now: datetime, zone: ZoneInfo) -> datetime:
    """When the learner agreed, as a real instant: now if the day given is today (or none or
    a future one) on the site's calendar, else noon of that day at the site."""
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        return now
    if day >= now.astimezone(zone).date():
        return now
    return datetime.combine(day, time(12), zone).astimezone(UTC)


def _back():
    target = request.form.get("next", "")
    return redirect(target if target.startswith("/") and not target.startswith("//") else url_for(
        "dashboard.feedback_list"))


@bp.post("/feedback/<int:feedback_id>/flag")
@roles_required("supervisor", "admin")
def feedback_flag(feedback_id: int):
    """Flag an entry for follow-up. 403 for trainers, 404 outside the user's sites."""
    return _set_flag(feedback_id, flagged=True)


@bp.post("/feedback/<int:feedback_id>/unflag")
@roles_required("supervisor", "admin")
def feedback_unflag(feedback_id: int):
    """Remove the flag once the entry is followed up. 403 for trainers, 404 outside the user's sites."""
    return _set_flag(feedback_id, flagged=False)


def _set_flag(feedback_id: int, *, flagged: bool):
    """One action per URL, so a replayed or stale form does what its button said, never the opposite."""
    db = get_db()
    row = _feedback_or_404(feedback_id)
    learner = db.get(Learner, row.learner_id)
    fb.set_flagged(db=db, feedback=row, flagged=flagged, now=get_clock().now())
    db.commit()
    # Who changed which entry, for the record (ids only: no names or numbers in the logs).
    log.info("feedback flag %s", "raised" if flagged else "removed",
             extra={"feedback_id": row.id, "user_id": current_user.id})
    if flagged:
        flash(_("Feedback #%(id)s from %(learner)s is flagged for follow-up.", id=row.id, learner=learner.name),
              "success")
    else:
        flash(_("Flag removed from feedback #%(id)s from %(learner)s: marked as followed up.", id=row.id,
                learner=learner.name), "success")
    return _back()


@bp.post("/feedback/<int:feedback_id>/testimonial")
@roles_required("supervisor", "admin")
def feedback_testimonial(feedback_id: int):
    """Add a comment to the testimonial bank; refused unless the learner's consent is confirmed.

    ``consent=1`` with ``consent_date`` (the day the learner agreed; default today) adds it,
    ``consent=0`` withdraws it.
    """
    db = get_db()
    row = _feedback_or_404(feedback_id)
    now = get_clock().now()
    if request.form.get("consent") == "1":
        if request.form.get("confirm") != "yes":
            flash(_("Tick the box to confirm that the learner agreed to be quoted."), "error")
            return _back()
        site = db.get(Site, db.get(Learner, row.learner_id).site_id)
        consent_at = consent_moment(request.form.get("consent_date", ""), now=now, zone=ZoneInfo(site.timezone))
        try:
            fb.set_testimonial(db=db, feedback=row, consent=True, now=now, consent_at=consent_at)
        except fb.FeedbackError:
            flash(_("Only a comment can be a testimonial."), "error")
            return _back()
        flash(_("Added to the testimonial bank."), "success")
    else:
        fb.set_testimonial(db=db, feedback=row, consent=False, now=now)
        flash(_("Removed from the testimonial bank."), "success")
    db.commit()
    return _back()


@bp.get("/testimonials")
def testimonials_index():
    """The testimonial bank: with one site, straight to it; otherwise a list of sites."""
    sites = visible_sites()
    if len(sites) == 1:
        return redirect(url_for("dashboard.testimonials", site_id=sites[0].id))
    return render_template("dashboard/pick_site.html", sites=sites, title=_("Testimonial bank"),
                           endpoint="dashboard.testimonials")


@bp.get("/sites/<int:site_id>/testimonials")
def testimonials(site_id: int):
    """Comments the site's learners agreed to have quoted. 404 outside the user's sites."""
    site = get_or_404(Site, site_id, site_of=lambda s: s.id)
    rows = fb.testimonials(db=get_db(), site_ids=scope(), site_id=site.id)
    return render_template("dashboard/testimonials.html", site=site, rows=rows)

"""Changing a learner: details, cohort, pause and resume. Thin views over ``app.people.changes``.

Who may: trainers of the learner's site and admins (the workspace blueprint lets no one
else in). Supervisors read the result in the audit log but change nothing: a learner's
channel or cohort is the trainer's call. A learner, or a cohort to move them to, outside
the user's sites is a 404, as everywhere.
"""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlmodel import select

from app.clock import get_clock
from app.db import get_db
from app.i18n import LANGUAGES
from app.models import Cohort, Learner, Site
from app.people.changes import (
    Change,
    LearnerError,
    deactivate,
    edit_learner,
    late_join_window,
    move_learner,
    reactivate,
)
from app.web.auth.guards import get_or_404
from app.web.dashboard.changes import channel_names
from app.web.dashboard.params import visible_cohort, visible_cohorts
from app.web.workspace import bp
from app.web.workspace.forms import LearnerForm, MoveForm, StatusForm, choices


def _forms(learner: Learner, *, details=None, move=None, status=None):
    details = details or LearnerForm(obj=learner, prefix="details")
    details.language.choices = choices(LANGUAGES.items())
    details.channel.choices = choices(channel_names().items())
    move = move or MoveForm(prefix="move", cohort=learner.cohort_id)
    sites = {s.id: s.name for s in get_db().exec(select(Site)).all()}
    move.cohort.choices = choices([(c.id, f"{c.name} ({sites.get(c.site_id, '')})") for c in visible_cohorts()])
    status = status or StatusForm(prefix="status")
    status.submit.label.text = _("Deactivate") if learner.status == "active" else _("Reactivate")
    return details, move, status


def _page(learner: Learner, **forms):
    details, move, status = _forms(learner, **forms)
    db = get_db()
    return render_template("workspace/learner.html", learner=learner, site=db.get(Site, learner.site_id),
                           cohort=db.get(Cohort, learner.cohort_id) if learner.cohort_id else None,
                           details=details, move=move, status=status)


def _flash_change(change: Change, saved: str) -> None:
    if not change:
        flash(_("Nothing changed."), "info")
        return
    flash(saved, "success")
    if change.rescheduled.as_dict():
        flash(_("What was already planned for this learner now follows the new settings."), "info")
    if change.sessions_queued:
        flash(ngettext("The quiz of %(num)d session already held is queued for this learner.",
                       "The quizzes of %(num)d sessions already held are queued for this learner.",
                       len(change.sessions_queued)), "info")


def _back(learner: Learner):
    return redirect(url_for("workspace.learner_edit", learner_id=learner.id))


@bp.get("/learners/<int:learner_id>")
def learner_edit(learner_id: int):
    """The forms to change a learner's details, cohort and status. 404 outside the user's sites."""
    return _page(get_or_404(Learner, learner_id))


@bp.post("/learners/<int:learner_id>")
def learner_save(learner_id: int):
    """Save name, language, channel and own timezone; what was planned is rescheduled."""
    learner = get_or_404(Learner, learner_id)
    details, _move, _status = _forms(learner, details=LearnerForm(prefix="details"))
    if not details.validate_on_submit():
        return _page(learner, details=details)
    db = get_db()
    change = edit_learner(db, learner=learner, now=get_clock().now(), user_id=current_user.id,
                          name=details.name.data, language=details.language.data, channel=details.channel.data,
                          timezone=details.timezone.data)
    db.commit()
    _flash_change(change, _("Saved."))
    return _back(learner)


@bp.post("/learners/<int:learner_id>/move")
def learner_move(learner_id: int):
    """Move the learner to one of the user's cohorts (another site's moves their site too)."""
    learner = get_or_404(Learner, learner_id)
    _details, move, _status = _forms(learner, move=MoveForm(prefix="move"))
    if not move.validate_on_submit():
        return _page(learner, move=move)
    cohort = visible_cohort(move.cohort.data)
    if cohort is None:
        abort(404)
    db = get_db()
    change = move_learner(db, learner=learner, cohort=cohort, now=get_clock().now(), user_id=current_user.id,
                          late_join=late_join_window(current_app.config, wanted=move.late_join.data))
    db.commit()
    _flash_change(change, _("%(name)s is now in %(cohort)s.", name=learner.name, cohort=cohort.name))
    return _back(learner)


@bp.post("/learners/<int:learner_id>/status")
def learner_status(learner_id: int):
    """Deactivate an active learner, or reactivate a deactivated one (never one who sent STOP)."""
    learner = get_or_404(Learner, learner_id)
    _details, _move, status = _forms(learner, status=StatusForm(prefix="status"))
    if not status.validate_on_submit():
        return _page(learner, status=status)
    db, now = get_db(), get_clock().now()
    try:
        if learner.status == "active":
            change = deactivate(db, learner=learner, now=now, user_id=current_user.id, reason=status.reason.data or "")
            saved = _("%(name)s is deactivated: nothing more is sent until reactivated.", name=learner.name)
        else:
            change = reactivate(db, learner=learner, now=now, user_id=current_user.id,
                                late_join=late_join_window(current_app.config, wanted=status.late_join.data))
            saved = _("%(name)s is active again and carries on where they stopped.", name=learner.name)
    except LearnerError:
        db.rollback()
        flash(_("Only a deactivated learner can be reactivated here. A learner who sent STOP comes back by "
                "sending START."), "error")
        return _back(learner)
    db.commit()
    _flash_change(change, saved)
    return _back(learner)

"""Skills milestones on the learner's page: where the learner stands on each, a trainer's or
supervisor's confirmation, and the question sent to the learner to confirm it themselves.

Both are small CSRF forms posting here; the learner must be in the user's sites (404).
"""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.clock import get_clock
from app.db import get_db
from app.journeys import milestones
from app.models import Learner
from app.web.auth.guards import get_or_404
from app.web.journeys import bp

CONFIRMERS = ("trainer", "supervisor", "admin")


@bp.app_template_global()
def milestone_rows(learner: Learner) -> list:
    """``(definition, state or None)`` for each milestone of the learner's programme."""
    db = get_db()
    states = milestones.states(db, learner.id)
    return [(d, states.get(d.key)) for d in milestones.definitions(db, learner.site_id)]


@bp.app_template_filter("milestone_title")
def milestone_title(definition) -> str:
    return _(definition.title) if not definition.own else definition.title


@bp.post("/learners/<int:learner_id>/milestones/<key>")
def milestone(learner_id: int, key: str):
    """``action`` = ``reached`` / ``not_yet`` (staff confirm) or ``ask`` (queue the question)."""
    if current_user.role not in CONFIRMERS:
        abort(403)
    db = get_db()
    learner = get_or_404(Learner, learner_id)
    if milestones.definition(db, learner.site_id, key) is None:
        abort(404)
    action, now = request.form.get("action"), get_clock().now()
    if action in ("reached", "not_yet"):
        milestones.confirm(db, learner=learner, key=key, now=now, user_id=current_user.id, reached=action == "reached")
        flash(_("Milestone recorded."), "success")
    elif action == "ask":
        if milestones.ask(db, learner=learner, key=key, now=now) is None:
            flash(_("Already reached, or the question is already on its way."), "error")
        else:
            flash(_("The question will be sent within the learner's send window."), "success")
    else:
        abort(400)
    db.commit()
    return redirect(url_for("dashboard.learner", learner_id=learner.id) + "#milestones")

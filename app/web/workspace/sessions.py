"""Marking a classroom session as held, which queues the post-session quiz."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlmodel import select

from app.clock import get_clock
from app.db import get_db
from app.learning.sessions import SessionError, complete_session
from app.models import Module, Pack, Site
from app.reports import queries
from app.web.auth.guards import scope
from app.web.dashboard.params import visible_cohort, visible_cohorts
from app.web.i18n import localized
from app.web.workspace import bp
from app.web.workspace.forms import SessionForm, choices


def module_choices() -> list[tuple[int, str]]:
    rows = get_db().exec(select(Module, Pack).join(Pack, Pack.id == Module.pack_id).where(Module.active)
                         .order_by(Pack.slug, Module.position, Module.key)).all()
    return [(m.id, f"{localized(p.title) or p.slug} · {localized(m.title) or m.slug}") for m, p in rows]


@bp.route("/sessions", methods=["GET", "POST"])
def sessions():
    """The form to mark a session as held, and the sessions held recently in the user's sites.

    The time is read in the cohort's site timezone. A duplicate, a future time or a retired
    module is refused with the domain's message.
    """
    db = get_db()
    cohorts = visible_cohorts()
    sites = {s.id: s for s in db.exec(select(Site)).all()}
    form = SessionForm()
    form.cohort.choices = choices([(c.id, f"{c.name} ({sites[c.site_id].name})") for c in cohorts])
    form.module.choices = choices(module_choices())
    now = get_clock().now()
    if not form.is_submitted() and cohorts:
        zone = ZoneInfo(sites[cohorts[0].site_id].timezone)
        form.held_at.data = now.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)
    if form.validate_on_submit():
        cohort = visible_cohort(form.cohort.data)
        module = db.get(Module, form.module.data)
        if cohort is None or module is None:
            flash(_("Choose one of your cohorts and a module."), "error")
        else:
            zone = ZoneInfo(sites[cohort.site_id].timezone)
            held_at = form.held_at.data.replace(tzinfo=zone)
            try:
                done = complete_session(db=db, cohort=cohort, module=module, held_at=held_at, now=now,
                                        created_by=current_user.id)
            except SessionError as exc:
                db.rollback()
                flash(_("The session was not recorded: %(reason)s", reason=str(exc)), "error")
            else:
                db.commit()
                flash(ngettext("Session recorded. The quiz is queued for %(num)d learner.",
                               "Session recorded. The quiz is queued for %(num)d learners.",
                               done.learners_queued), "success")
                return redirect(url_for("workspace.sessions"))
    recent = queries.sessions(db=db, site_ids=scope(), limit=30)
    return render_template("workspace/sessions.html", form=form, recent=recent, sites=sites)

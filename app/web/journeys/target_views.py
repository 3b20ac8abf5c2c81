"""Setting a programme's targets on the web, and its outcomes against them month by month.

Admins set any site's target; supervisors their own sites' (the same rule as recording a
journey). "Over time" is the outcomes table as it stood at the end of each of the last
twelve months (``tallies`` with that day as today), so every number is the one the
outcomes page would have shown then, and links to the same learners.
"""
from __future__ import annotations

import calendar
from datetime import date

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlmodel import select
from wtforms import IntegerField, SelectField, SubmitField
from wtforms.validators import DataRequired, NumberRange, Optional

from app.access import scope_to_sites
from app.clock import get_clock
from app.db import get_db
from app.journeys.targets import set_target, tallies
from app.models import JourneyTarget, Site
from app.web.auth.guards import in_scope
from app.web.dashboard.params import arg_int
from app.web.forms import Form
from app.web.journeys import bp
from app.web.workspace.forms import choices

SETTERS = ("supervisor", "admin")
MONTHS = 12


class TargetForm(Form):
    site = SelectField(_l("Site"), coerce=int, validators=[DataRequired()])
    share = IntegerField(_l("Share in work, education or practice (%)"), validators=[Optional(), NumberRange(0, 100)])
    months = IntegerField(_l("Within months of graduating"), validators=[Optional(), NumberRange(1, 60)])
    graduates = IntegerField(_l("Graduates a year"), validators=[Optional(), NumberRange(0, 100000)])
    submit = SubmitField(_l("Save target"))


def target_form() -> TargetForm:
    form = TargetForm()
    sites = get_db().exec(scope_to_sites(select(Site), Site.id, db=get_db(), user=current_user).order_by(Site.name)).all()
    form.site.choices = choices((s.id, s.name) for s in sites)
    return form


@bp.app_template_global()
def journey_target_form():
    return target_form() if current_user.role in SETTERS else None


@bp.post("/journeys/targets")
def save_target():
    """Create or change a site's target (404 for a site outside the user's sites)."""
    if current_user.role not in SETTERS:
        abort(403)
    form = target_form()
    if not form.validate():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return redirect(url_for("journeys.outcomes"))
    if not in_scope(form.site.data):
        abort(404)
    db = get_db()
    site = db.get(Site, form.site.data) or abort(404)
    set_target(db=db, site=site, now=get_clock().now(), within_months=form.months.data,
               share_in_work=form.share.data / 100 if form.share.data is not None else None,
               graduates_per_year=form.graduates.data)
    db.commit()
    flash(_("Target saved."), "success")
    return redirect(url_for("journeys.over_time", site=site.id))


def month_ends(today: date, count: int = MONTHS) -> list[date]:
    """The last day of each of the ``count`` months up to ``today``'s (today itself for it), oldest first."""
    ends, year, month = [], today.year, today.month
    for _n in range(count):
        last = date(year, month, calendar.monthrange(year, month)[1])
        ends.append(min(last, today))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return ends[::-1]


@bp.get("/journeys/over-time")
def over_time():
    """One site's graduates and share in work at the end of each month, against its target."""
    site_id = arg_int("site")
    if site_id is None or not in_scope(site_id):
        abort(404)
    db = get_db()
    site = db.get(Site, site_id) or abort(404)
    rows = []
    for end in month_ends(get_clock().now().date()):
        row = next(r for r in tallies(db=db, site_ids={site_id}, today=end) if r.cohort is None)
        rows.append((end, row))
    return render_template("journeys/over_time.html", site=site, rows=rows, target=db.get(JourneyTarget, site_id))

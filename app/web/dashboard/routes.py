"""Dashboards: every visible site at a glance, one site (or cohort) in depth, one session."""
from __future__ import annotations

from flask import abort, current_app, redirect, render_template, url_for
from flask_babel import gettext as _

from app.db import get_db
from app.models import Cohort, Module, Site, TrainingSession
from app.reports import costs, delivery, learning, queries
from app.reports import feedback as fb
from app.web import formatting
from app.web.auth.guards import get_or_404, scope
from app.web.dashboard import bp, charts
from app.web.dashboard.params import (
    arg_int,
    period_args,
    visible_cohort,
    visible_cohorts,
    visible_sites,
)
from app.web.i18n import localized


@bp.get("/")
def index():
    """Every site the user may see, with its headline numbers."""
    db = get_db()
    sites = visible_sites()
    per_site = queries.breakdown(db=db, site_ids=scope(), by="site")
    total = queries.overview(db=db, site_ids=scope())
    return render_template("dashboard/index.html", sites=sites, per_site=per_site, total=total,
                           Metrics=queries.Metrics, flagged=fb.flagged_count(db=db, site_ids=scope()))


@bp.get("/sites/<int:site_id>")
def site(site_id: int):
    """One site's dashboard, optionally narrowed to a cohort (``?cohort=``) and days (``?from=&to=``).

    404 if the site, or the cohort asked for, is outside the user's sites.
    """
    db = get_db()
    site = get_or_404(Site, site_id, site_of=lambda s: s.id)
    cohort_id = arg_int("cohort")
    cohort = visible_cohort(cohort_id, site.id)
    if cohort_id is not None and cohort is None:
        abort(404)
    start, end, first, last = period_args(site.timezone)
    where = {"db": db, "site_ids": {site.id}, "cohort_id": cohort_id, "start": start, "end": end}
    total = queries.overview(**where)
    per_cohort = queries.breakdown(by="cohort", **where)
    modules = queries.accuracy_by_module(**where)
    items = queries.accuracy_by_item(limit=15, **where)
    retention = queries.retention(**where)
    days = queries.answers_by_day(**where)[-31:]
    no_data = _("No answers yet")
    chart = {
        "modules": charts.percent_bars([localized(m.label) or m.key for m in modules],
                                       [m.accuracy for m in modules], title=_("Right answers by module"),
                                       no_data=no_data),
        "retention": charts.percent_line([p.label for p in retention], [p.retention for p in retention],
                                         title=_("Reviews answered right"), no_data=_("No reviews yet"),
                                         x_title=_("Days since the session")),
        "days": charts.count_bars([formatting.day(d, "short_day") for d, _n, _c in days],
                                  [(_("Right"), [c for _d, _n, c in days]),
                                   (_("Wrong"), [n - c for _d, n, c in days])],
                                  title=_("Answers per day"), no_data=no_data),
    }
    cohorts = visible_cohorts(site.id)
    names = {c.id: c.name for c in cohorts}
    cohort_lines = sorted(((cid, names.get(cid, "—"), m) for cid, m in per_cohort.items()), key=lambda r: r[1])
    shown = [cohort] if cohort is not None else [c for c in cohorts if c.id in per_cohort]
    price = costs.current_prices(current_app).get(site.country)
    spent = costs.metrics_costs(total, price)
    return render_template(
        "dashboard/site.html", site=site, cohort=cohort, cohorts=cohorts, first=first, last=last,
        total=total, spent=spent, cohort_lines=cohort_lines, day_buckets=[label for label, _, _ in learning.DAY_BUCKETS],
        learning=learning.by_cohort(db=db, cohorts=shown, start=start, end=end),
        modules=modules, items=items, retention=retention, chart=chart,
        sessions=queries.sessions(limit=20, **where), costs=queries.segments_by_learner(limit=15, **where),
        channels=delivery.by_channel(**where), refusals=delivery.dlt_refusals(**where),
        price=price, value=delivery.value_by_channel(prices=price, **where) if price else [])


@bp.get("/cohorts/<int:cohort_id>")
def cohort(cohort_id: int):
    """A cohort's dashboard is its site's, narrowed to it. 404 outside the user's sites."""
    found = get_or_404(Cohort, cohort_id)
    return redirect(url_for("dashboard.site", site_id=found.site_id, cohort=found.id))


@bp.get("/sessions/<int:session_id>")
def session(session_id: int):
    """A held session: how its quiz went item by item, and what learners said. 404 outside scope."""
    db = get_db()
    held = db.get(TrainingSession, session_id)
    cohort = visible_cohort(held.cohort_id) if held else None
    if cohort is None:
        abort(404)
    site = db.get(Site, cohort.site_id)
    items = queries.accuracy_by_item(db=db, site_ids={site.id}, session_id=held.id)
    rows = queries.sessions(db=db, site_ids={site.id}, cohort_id=cohort.id, limit=None)
    summary = next((r for r in rows if r.session.id == held.id), None)
    feedback, total = fb.list_feedback(db=db, site_ids={site.id}, filters=fb.FeedbackFilter(session_id=held.id))
    return render_template("dashboard/session.html", held=held, cohort=cohort, site=site,
                           module=db.get(Module, held.module_id), items=items, summary=summary,
                           feedback=feedback, feedback_total=total)

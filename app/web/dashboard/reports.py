"""Printable pages and downloads: monthly recognition, weekly and monthly site summaries."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from app.clock import get_clock
from app.db import get_db
from app.models import Site
from app.reports import costs
from app.reports.csvfile import LOCALISED, MACHINE
from app.reports.recognition import diligent_learners, month_bounds, parse_month
from app.reports.summary import KINDS, period_for, site_summary, summary_csv
from app.web.auth.guards import get_or_404, scope
from app.web.dashboard import bp
from app.web.dashboard.params import visible_sites
from app.web.dashboard.pdf import PdfUnavailable, render_pdf


def _site(site_id: int) -> Site:
    return get_or_404(Site, site_id, site_of=lambda s: s.id)


@bp.get("/recognition")
def recognition_index():
    sites = visible_sites()
    if len(sites) == 1:
        return redirect(url_for("dashboard.recognition", site_id=sites[0].id))
    return render_template("dashboard/pick_site.html", sites=sites, title=_("Learners of the month"),
                           endpoint="dashboard.recognition")


@bp.get("/sites/<int:site_id>/recognition")
def recognition(site_id: int):
    """The month's most diligent learners of a site (``?month=YYYY-MM``, default this month), printable."""
    site = _site(site_id)
    year, month = parse_month(request.args.get("month"), get_clock().now().date())
    start, end = month_bounds(year, month)
    rows = diligent_learners(db=get_db(), site_ids=scope(), site_id=site.id, year=year, month=month)
    previous = (start - timedelta(days=1)).strftime("%Y-%m")
    following = end.strftime("%Y-%m")
    return render_template("dashboard/recognition.html", site=site, rows=rows, month=start,
                           previous=previous, following=following)


@bp.get("/reports")
def reports_index():
    """Sites with links to their weekly and monthly reports."""
    return render_template("dashboard/reports_index.html", sites=visible_sites())


def _summary(site_id: int, kind: str):
    if kind not in KINDS:
        abort(404)
    site = _site(site_id)
    today = get_clock().now().astimezone(ZoneInfo(site.timezone)).date()
    period = period_for(kind, request.args.get("period"), today)
    return site_summary(db=get_db(), site=site, period=period)


@bp.get("/sites/<int:site_id>/reports/<kind>")
def report(site_id: int, kind: str):
    """A week's (``?period=YYYY-MM-DD``) or month's (``?period=YYYY-MM``) summary, print-ready."""
    summary = _summary(site_id, kind)
    return render_template("dashboard/report.html", summary=summary, kind=kind, spent=_spent(summary))


def _spent(summary):
    """What the period's messages cost, in the site's currency (None without a price)."""
    return costs.metrics_costs(summary.total, costs.current_prices(current_app).get(summary.site.country))


def _download_name(summary, kind: str, ext: str) -> str:
    return f"saathi-{kind}-{summary.site.id}-{summary.period.slug}.{ext}"


@bp.get("/sites/<int:site_id>/reports/<kind>.pdf")
def report_pdf(site_id: int, kind: str):
    """The printable page as a PDF, to mail or archive."""
    summary = _summary(site_id, kind)
    html = render_template("dashboard/report.html", summary=summary, kind=kind, spent=_spent(summary))
    try:
        pdf = render_pdf(html, base_url=request.url_root)
    except PdfUnavailable:
        abort(503, description=_("PDF needs the Pango library on the server "
                                 "(apt-get install libpango-1.0-0 libpangoft2-1.0-0). "
                                 "The Print button makes one from this page meanwhile."))
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{_download_name(summary, kind, "pdf")}"'})


@bp.get("/sites/<int:site_id>/reports/<kind>.csv")
def report_csv(site_id: int, kind: str):
    """The same summary as a CSV download (one row per cohort and a TOTAL row): for a
    spreadsheet in the user's language, or ``?columns=machine`` for scripts."""
    summary = _summary(site_id, kind)
    style = MACHINE if request.args.get("columns") == MACHINE else LOCALISED
    text = summary_csv(summary, style=style, language=str(get_locale() or "en"))
    return Response(text, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{_download_name(summary, kind, "csv")}"'})

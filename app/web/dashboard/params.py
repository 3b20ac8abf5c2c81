"""Reading filters from the query string, and the lists the filter menus offer.

Every list here is already restricted to the signed-in user's sites, so a menu can never
offer (and a crafted URL can never reach) another site's cohort.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import request
from sqlmodel import select

from app.db import get_db
from app.models import Cohort, Site, TrainingSession
from app.reports.queries import in_sites
from app.web.auth.guards import scope


def arg_int(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


def arg_date(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def visible_sites() -> list[Site]:
    return list(get_db().exec(in_sites(select(Site), Site.id, scope()).order_by(Site.name)).all())


def visible_cohorts(site_id: int | None = None) -> list[Cohort]:
    query = in_sites(select(Cohort), Cohort.site_id, scope()).order_by(Cohort.name)
    if site_id is not None:
        query = query.where(Cohort.site_id == site_id)
    return list(get_db().exec(query).all())


def visible_cohort(cohort_id: int | None, site_id: int | None = None) -> Cohort | None:
    """The cohort if the user may see it (and it belongs to ``site_id`` when given), else None."""
    if cohort_id is None:
        return None
    cohort = get_db().get(Cohort, cohort_id)
    allowed = scope()
    if cohort is None or (allowed is not None and cohort.site_id not in allowed):
        return None
    if site_id is not None and cohort.site_id != site_id:
        return None
    return cohort


def visible_session(session_id: int | None) -> TrainingSession | None:
    if session_id is None:
        return None
    session = get_db().get(TrainingSession, session_id)
    if session is None or visible_cohort(session.cohort_id) is None:
        return None
    return session


def period_args(timezone: str | None) -> tuple[datetime | None, datetime | None, date | None, date | None]:
    """``from``/``to`` (inclusive days, in the site's timezone) as a half-open UTC-aware range."""
    first, last = arg_date("from"), arg_date("to")
    zone = ZoneInfo(timezone or "UTC")
    start = datetime.combine(first, time(), zone) if first else None
    end = datetime.combine(last + timedelta(days=1), time(), zone) if last else None
    return start, end, first, last

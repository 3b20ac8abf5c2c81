"""Sites: where learners work, which country their numbers belong to, when they may be messaged."""
from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from babel.core import get_global
from sqlmodel import Session, select

from app.models import Cohort, Site
from app.people import audit
from app.people.changes import Change
from app.scheduling.reschedule import retime_site

HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
# A new site's send window when none is given; deployments set theirs with
# SAATHI_SEND_WINDOW_START/_END (``Policy.window``), which the CLI and web pass in.
DEFAULT_WINDOW = ("09:00", "20:00")


class SiteError(ValueError):
    pass


def country_timezone(country: str) -> str | None:
    """The country's timezone when it has exactly one (CLDR's list, shipped with Babel)."""
    zones = get_global("territory_zones").get(country.upper(), [])
    return zones[0] if len(zones) == 1 else None


def check_site_fields(*, country: str, timezone: str, send_start: str, send_end: str) -> None:
    if country not in phonenumbers.SUPPORTED_REGIONS:
        raise SiteError(f"unknown country code '{country}' (use ISO codes such as IN, NO, NL)")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SiteError(f"unknown timezone '{timezone}' (use names such as Asia/Kolkata)") from None
    for value in (send_start, send_end):
        if not HHMM.match(value):
            raise SiteError(f"send window time '{value}' must be HH:MM")
    if send_start >= send_end:
        raise SiteError("the send window must start before it ends")


def add_site(*, db: Session, name: str, country: str = "IN", timezone: str | None = None,
             send_start: str | None = None, send_end: str | None = None, daily_cap: int | None = None,
             default_window: tuple[str, str] = DEFAULT_WINDOW) -> Site:
    """Create or update the site called ``name``. A window left out keeps the site's own, or
    for a new site is ``default_window`` (the deployment's configured default)."""
    name = name.strip()
    if not name:
        raise SiteError("a site needs a name")
    country = country.strip().upper()
    if country not in phonenumbers.SUPPORTED_REGIONS:
        raise SiteError(f"unknown country code '{country}' (use ISO codes such as IN, NO, NL)")
    timezone = timezone or country_timezone(country)
    if not timezone:
        raise SiteError(f"country {country} has several timezones: give one with --timezone")
    site = db.exec(select(Site).where(Site.name == name)).first()
    current = (site.send_start, site.send_end) if site is not None else default_window
    send_start, send_end = send_start or current[0], send_end or current[1]
    check_site_fields(country=country, timezone=timezone, send_start=send_start, send_end=send_end)
    site = site or Site(name=name)
    site.country, site.timezone = country, timezone
    site.send_start, site.send_end, site.daily_cap = send_start, send_end, daily_cap
    db.add(site)
    db.flush()
    return site


def get_or_create_cohort(*, db: Session, name: str, site: Site) -> Cohort:
    cohort = db.exec(select(Cohort).where(Cohort.name == name)).first()
    if cohort is None:
        cohort = Cohort(name=name, site_id=site.id)
        db.add(cohort)
        db.flush()
    elif cohort.site_id != site.id:
        raise SiteError(f"cohort '{name}' belongs to another site")
    return cohort


def set_dlt(db: Session, *, site: Site, entity_id: str | None, header: str | None, now: datetime,
            user_id: int | None) -> Change:
    """Record the site's DLT registration (India): its principal entity ID and sender header.
    Empty values clear them; SMS from a site without an entity ID carry no DLT IDs."""
    entity_id, header = (entity_id or "").strip() or None, (header or "").strip().upper() or None
    if entity_id is not None and not (entity_id.isdecimal() and 10 <= len(entity_id) <= 25):
        raise SiteError("a DLT principal entity ID is 10 to 25 digits")
    if header is not None and not (header.isalnum() and 3 <= len(header) <= 11):
        raise SiteError("a DLT sender header is 3 to 11 letters or digits, e.g. SAATHI")
    before = {"dlt_entity_id": site.dlt_entity_id, "dlt_header": site.dlt_header}
    change = Change(fields=audit.changed_fields(before, {"dlt_entity_id": entity_id, "dlt_header": header}))
    if change.fields:
        site.dlt_entity_id, site.dlt_header = entity_id, header
        db.add(site)
        db.flush()
        audit.record(db, now=now, action="site_settings", user_id=user_id, site_id=site.id,
                     detail={"fields": change.fields})
    return change


def change_site_settings(db: Session, *, site: Site, now: datetime, user_id: int | None, timezone: str,
                         send_start: str, send_end: str, daily_cap: int | None) -> Change:
    """Change when the site's learners may be messaged; what was planned moves with it.

    Learners put off to the old window's opening are looked at again under the new one,
    queued messages that no longer fit are re-timed (``retime_site``); a higher daily
    cap lets learners held back by the old one be contacted today. One audit line.
    """
    timezone, send_start, send_end = timezone.strip(), send_start.strip(), send_end.strip()
    check_site_fields(country=site.country, timezone=timezone, send_start=send_start, send_end=send_end)
    if daily_cap is not None and not 1 <= daily_cap <= 50:
        raise SiteError("the daily cap must be between 1 and 50 messages")
    before = {"timezone": site.timezone, "send_start": site.send_start, "send_end": site.send_end,
              "daily_cap": site.daily_cap}
    change = Change(fields=audit.changed_fields(before, {"timezone": timezone, "send_start": send_start,
                                                         "send_end": send_end, "daily_cap": daily_cap}))
    if not change.fields:
        return change
    site.timezone, site.send_start, site.send_end, site.daily_cap = timezone, send_start, send_end, daily_cap
    db.add(site)
    db.flush()
    change.rescheduled = retime_site(db, site, old_timezone=before["timezone"], old_start=before["send_start"],
                                     old_end=before["send_end"], now=now, cap_changed="daily_cap" in change.fields)
    detail = {"fields": change.fields}
    if change.rescheduled.as_dict():
        detail["rescheduled"] = change.rescheduled.as_dict()
    audit.record(db, now=now, action="site_settings", user_id=user_id, site_id=site.id, detail=detail)
    return change

"""Quiet hours: a learner is messaged only inside their local send window.

Learners are tired people on cheap phones; a quiz at 23:00 is a wake-up call. The window
is the site's (default 09:00-20:00) in the learner's own timezone, or the site's.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.models import Learner, Site


def _hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def learner_zone(learner: Learner, site: Site) -> ZoneInfo:
    return ZoneInfo(learner.timezone or site.timezone or "UTC")


def in_window(now: datetime, learner: Learner, site: Site) -> bool:
    local = now.astimezone(learner_zone(learner, site)).time()
    return _hhmm(site.send_start) <= local < _hhmm(site.send_end)


def next_window_start(now: datetime, learner: Learner, site: Site) -> datetime:
    """The next moment (after ``now``) the learner's window opens."""
    zone = learner_zone(learner, site)
    local = now.astimezone(zone)
    start = datetime.combine(local.date(), _hhmm(site.send_start), tzinfo=zone)
    if start <= local:
        start = datetime.combine(local.date() + timedelta(days=1), _hhmm(site.send_start), tzinfo=zone)
    return start.astimezone(now.tzinfo)


def local_day_start(now: datetime, learner: Learner, site: Site) -> datetime:
    zone = learner_zone(learner, site)
    local = now.astimezone(zone)
    return datetime.combine(local.date(), time(0), tzinfo=zone).astimezone(now.tzinfo)

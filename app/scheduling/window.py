"""Quiet hours: a learner is messaged only inside their local send window.

Learners are tired people on cheap phones; a quiz at 23:00 is a wake-up call. The window
is the site's (default 09:00-20:00) in the learner's own timezone, or the site's.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from types import SimpleNamespace
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


@dataclass(frozen=True)
class Window:
    """The sending rules that applied to one learner: zone and local opening hours.

    A snapshot, so a change (a site's window, a learner's timezone) can be compared with
    what was in force when the learner's contacts were planned.
    """

    zone: str
    start: str
    end: str

    @classmethod
    def of(cls, learner: Learner, site: Site) -> Window:
        return cls(learner.timezone or site.timezone or "UTC", site.send_start, site.send_end)

    def _rules(self):
        return SimpleNamespace(timezone=self.zone), SimpleNamespace(timezone=self.zone, send_start=self.start,
                                                                    send_end=self.end)

    def contains(self, when: datetime) -> bool:
        return in_window(when, *self._rules())

    def next_start(self, when: datetime) -> datetime:
        return next_window_start(when, *self._rules())

    def fit(self, when: datetime) -> datetime:
        """``when`` if the window is open then, else its next opening."""
        return when if self.contains(when) else self.next_start(when)

    def is_opening(self, when: datetime) -> bool:
        """Whether ``when`` is the moment this window opens on some day (a planner's push)."""
        local = when.astimezone(ZoneInfo(self.zone))
        return (local.hour, local.minute, local.second, local.microsecond) == (*map(int, self.start.split(":")), 0, 0)

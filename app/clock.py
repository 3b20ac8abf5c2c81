"""Time as the domain sees it: always timezone-aware UTC, and replaceable in tests.

Spaced repetition works in days; tests and the simulator must be able to jump a week
ahead without sleeping, so nothing in the domain calls ``datetime.now`` directly.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta


def utcnow() -> datetime:
    return datetime.now(UTC)


class SystemClock:
    def now(self) -> datetime:
        return utcnow()


class FrozenClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime | None = None):
        self._now = (start or utcnow()).astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when.astimezone(UTC)

    def advance(self, **delta) -> datetime:
        self._now += timedelta(**delta)
        return self._now


def get_clock(app=None):
    from flask import current_app

    app = app or current_app
    return app.extensions["saathi.clock"]

"""Sending pace: segments per second per sender, and API calls in flight per account.

Twilio queues what a sender cannot push out at its rate (1 segment/s for a long code);
pacing ourselves keeps their queue empty, so a message's timestamp is when it was sent.
``SenderPace`` keeps each sender's pace in the database, so every worker on every host
shares it. ``Window`` is how many API calls one worker keeps in flight: the account has
a concurrency limit (429/20429 beyond it) and no coordinator says who may use how much,
so each worker halves its window on a 429 and grows it back by one per window of
successes, like TCP: workers sharing an account converge on fair shares of it.
"""
from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager

from sqlalchemy import case, insert, update
from sqlmodel import Session

from app.messaging.senders import DEFAULT
from app.models.messaging import SenderPace as PaceRow


class SegmentThrottle:
    """An in-process token bucket: the pace of one process only (tests, tools)."""

    def __init__(self, segments_per_second: float, burst: float | None = None, *,
                 clock=time.monotonic, sleep=time.sleep):
        self.rate = float(segments_per_second)
        self.capacity = burst if burst is not None else max(self.rate, 1.0)
        self.tokens = self.capacity
        self.clock, self.sleep = clock, sleep
        self.updated = clock()
        self.lock = threading.Lock()

    def reserve(self, segments: int, sender: str | None = None) -> float:
        """Take ``segments`` now; returns the seconds to wait before sending them."""
        if self.rate <= 0:
            return 0.0
        with self.lock:
            now = self.clock()
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            self.tokens -= segments
            return -self.tokens / self.rate if self.tokens < 0 else 0.0

    def acquire(self, segments: int, sender: str | None = None) -> float:
        """Wait until ``segments`` may go; returns the seconds waited."""
        wait = self.reserve(segments, sender)
        if wait > 0:
            self.sleep(wait)
        return wait


class SenderPace:
    """Each sender's segments/s, shared through the ``sender_pace`` table (GCRA).

    A reservation is one atomic statement, ``tat = max(tat, now) + segments / rate``,
    returning the new ``tat``: the reserved segments go one after the other from the old
    one. To keep that to a few round trips a second at 100 segments/s, a worker reserves
    ``horizon`` seconds' worth at a time and hands them out itself; what a pass leaves
    unused is lost (at most ``horizon`` of the sender's time). ``clock`` is wall-clock
    epoch seconds: hosts sharing a sender need their clocks in sync (NTP).
    """

    def __init__(self, sessions: Callable[[], AbstractContextManager[Session]], rates: dict[str, float], *,
                 clock: Callable[[], float] = time.time, sleep=time.sleep, horizon: float = 0.25):
        self.sessions, self.rates = sessions, dict(rates)
        self.clock, self.sleep, self.horizon = clock, sleep, horizon
        self._slots: dict[str, list[float]] = {}  # sender: [next slot, segments left in the reservation]
        self._lock = threading.Lock()
        self._known: set[str] = set()

    def rate(self, sender: str | None) -> float:
        return float(self.rates.get(sender or DEFAULT, self.rates.get(DEFAULT, 0.0)))

    def reserve(self, segments: int, sender: str | None = None) -> float:
        """Take ``segments`` of ``sender``'s pace; returns the seconds to wait before sending."""
        key, rate = sender or DEFAULT, self.rate(sender)
        if rate <= 0:
            return 0.0
        with self._lock:
            slot = self._slots.get(key)
            if slot is None or slot[1] < segments:
                chunk = max(segments, math.ceil(rate * self.horizon))
                start = self._take(key, chunk / rate)
                slot = self._slots[key] = [start, chunk]
            at = slot[0]
            slot[0] += segments / rate
            slot[1] -= segments
        return max(0.0, at - self.clock())

    def acquire(self, segments: int, sender: str | None = None) -> float:
        wait = self.reserve(segments, sender)
        if wait > 0:
            self.sleep(wait)
        return wait

    def _take(self, key: str, cost: float) -> float:
        """Reserve ``cost`` seconds of the sender's time; returns when they start."""
        table = PaceRow.__table__
        now = self.clock()
        with self.sessions() as db:
            if key not in self._known:
                db.execute(insert(table).values(sender=key, tat=0.0).prefix_with("OR IGNORE")
                           if db.get_bind().dialect.name == "sqlite" else
                           _pg_insert_ignore(table, key))
                self._known.add(key)
            tat = db.execute(update(table).where(table.c.sender == key)
                             .values(tat=case((table.c.tat > now, table.c.tat), else_=now) + cost)
                             .returning(table.c.tat)).scalar_one()
            db.commit()
        return tat - cost


def _pg_insert_ignore(table, key: str):
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    return pg_insert(table).values(sender=key, tat=0.0).on_conflict_do_nothing()


class Window:
    """API calls one worker keeps in flight (AIMD, see the module docstring).

    ``started()`` hands each call a ticket; a 429 halves the window once, not once per
    call that was already in flight when it came (those were sent at the old size).
    """

    def __init__(self, ceiling: int):
        self.ceiling = max(1, int(ceiling))
        self.size = float(self.ceiling)
        self._lock = threading.Lock()
        self._ticket = self._cut_at = 0
        self.cuts = 0

    @property
    def limit(self) -> int:
        return max(1, int(self.size))

    def started(self) -> int:
        with self._lock:
            self._ticket += 1
            return self._ticket

    def succeeded(self) -> None:
        with self._lock:
            self.size = min(float(self.ceiling), self.size + 1.0 / self.size)

    def rate_limited(self, ticket: int) -> None:
        with self._lock:
            if ticket > self._cut_at:
                self.size = max(1.0, self.size / 2)
                self._cut_at = self._ticket
                self.cuts += 1

"""Sending pace in message segments per second.

Twilio queues what a sender cannot push out at its rate (1 segment/s for a long code);
pacing ourselves keeps their queue empty, so a message's timestamp is when it was sent.
"""
from __future__ import annotations

import threading
import time


class SegmentThrottle:
    def __init__(self, segments_per_second: float, burst: float | None = None, *,
                 clock=time.monotonic, sleep=time.sleep):
        self.rate = float(segments_per_second)
        self.capacity = burst if burst is not None else max(self.rate, 1.0)
        self.tokens = self.capacity
        self.clock, self.sleep = clock, sleep
        self.updated = clock()
        self.lock = threading.Lock()

    def acquire(self, segments: int) -> float:
        """Wait until ``segments`` may go; returns the seconds waited."""
        if self.rate <= 0:
            return 0.0
        with self.lock:
            now = self.clock()
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            self.tokens -= segments
            wait = -self.tokens / self.rate if self.tokens < 0 else 0.0
        if wait > 0:
            self.sleep(wait)
        return wait

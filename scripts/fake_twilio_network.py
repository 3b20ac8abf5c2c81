"""The fake Twilio API on a bad day (scripts/fake_twilio.py is the server): the network it
answers over, and the failures a test injects.

Why apart: the app's sending is only tested if it meets what a real network and a real
Twilio do to it: answers that take time (so concurrency matters), a concurrency limit that
answers 429, 5xx at random, a lost answer for a message that was sent. Each is about how a
request fares on its way, not about what Twilio does with it, so they are read here, away
from the Messages and Calls rules they would otherwise be tangled with.
"""
from __future__ import annotations

import random

from scripts.fake_twilio_resources import error

FAULT_CODES = {429: (20429, "Too Many Requests"), 500: (20500, "Internal Server Error"),
               503: (20503, "Service Unavailable")}


class NetworkModel:
    """FakeTwilio's admission of API requests and its injected faults. The host class has
    ``_lock``, ``latency``, ``jitter``, ``max_in_flight`` and ``error_rate``, and resets
    ``_faults`` with its records."""

    def _init_network(self, seed: int | None) -> None:
        self._rng = random.Random(seed)
        self._api_in_flight = 0
        self.peak_in_flight = 0   # the most API requests served at once (for benchmarks)
        self.refused = 0          # requests answered 429 because too many were in flight
        self._faults: list[list] = []  # [[kind, remaining, options], ...], oldest first

    # -- the network (every API request) ---------------------------------------------
    def _admit(self, method: str):
        """The concurrency cap: a 429 response, or (latency to wait, injected 5xx or None)."""
        with self._lock:
            if self.max_in_flight and self._api_in_flight >= self.max_in_flight:
                self.refused += 1
                return error(429, 20429, "Too Many Requests: concurrency limit reached", {"Retry-After": "1"})
            self._api_in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self._api_in_flight)
            pause = max(0.0, self.latency + self._rng.uniform(-self.jitter, self.jitter)) if self.latency else 0.0
            fails = bool(self.error_rate) and method == "POST" and self._rng.random() < self.error_rate
            return pause, (self._rng.choice((500, 503)) if fails else None)

    def _release(self) -> None:
        with self._lock:
            self._api_in_flight -= 1

    # -- fault injection (applies to create requests only, in the order injected) --------
    def fail_next(self, count: int = 1, status: int = 429, retry_after: int = 1) -> None:
        """Answer the next ``count`` creates with 429 (20429), 500 (20500) or 503 (20503).

        429 and 503 carry ``Retry-After: retry_after``. Nothing is recorded."""
        if status not in FAULT_CODES:
            raise ValueError(f"status must be one of {sorted(FAULT_CODES)}")
        with self._lock:
            self._faults.append(["fail", count, {"status": status, "retry_after": retry_after}])

    def delay_next(self, count: int = 1, seconds: float = 5.0, accept: bool = True) -> None:
        """Hold the next ``count`` create responses for ``seconds`` (to trip client timeouts).

        ``accept=True``: the resource is recorded (and its callbacks run) before the wait,
        as when Twilio took a message whose response got lost; a retry then sends twice.
        ``accept=False``: nothing is recorded and, after the wait, the answer is 504.
        """
        with self._lock:
            self._faults.append(["delay", count, {"seconds": seconds, "accept": accept}])

    def reset_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _take_fault(self) -> tuple[str, dict] | None:
        with self._lock:
            if not self._faults:
                return None
            fault = self._faults[0]
            fault[1] -= 1
            if fault[1] <= 0:
                self._faults.pop(0)
            return fault[0], fault[2]

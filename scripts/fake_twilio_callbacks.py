"""The fake Twilio API's status callbacks (scripts/fake_twilio.py is the server).

Why apart: what happens to a message or call after its create was answered reaches the app
only as Twilio's signed POSTs to its StatusCallback, and that is where the app's delivery
bugs live: callbacks that arrive before the create's answer, out of order, twice, or not at
all. So the fake sends them as Twilio does, signed (the app's ``X-Twilio-Signature`` check
runs for real), one resource's events in order, and only once the create's answer is written;
from worker threads, so a slow webhook holds no API request. A test that wants to step
through them turns ``auto_callbacks`` off and calls ``deliver_callbacks()`` itself.
"""
from __future__ import annotations

import http.client
import queue
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import urlencode, urlsplit, urlunsplit

from twilio.request_validator import RequestValidator


@dataclass
class Callback:
    """One status callback: the record update it applies and the request it makes."""

    kind: str                    # "message" or "call"
    sid: str
    status: str
    url: str | None              # None: no StatusCallback given; only the record changes
    params: dict
    updates: dict
    response_status: int | None = None   # filled in once delivered
    error: str | None = None


_clock = (-1, "")  # (a second, its RFC 2822 text): format_datetime runs once a second


def timestamp() -> str:
    """The time as Twilio writes it in records and callbacks (RFC 2822)."""
    global _clock
    second = int(time.time())
    if _clock[0] != second:
        _clock = second, format_datetime(datetime.fromtimestamp(second, UTC))
    return _clock[1]


def post_signed(url: str, params: dict, auth_token: str, timeout: float = 10) -> int:
    """POST a form as Twilio does, signed; returns the status. Plain http.client, not
    requests: it halves the CPU per callback, which matters when 10k sends make 20k."""
    signature = RequestValidator(auth_token).compute_signature(url, params)
    parts = urlsplit(url)
    conn_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = conn_class(parts.netloc, timeout=timeout)
    try:
        conn.request("POST", urlunsplit(("", "", parts.path or "/", parts.query, "")), urlencode(params),
                     {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature,
                      "User-Agent": "TwilioProxy/1.1"})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


class CallbackDelivery:
    """FakeTwilio's callback queue and its workers. The host class has ``_lock``,
    ``_messages``, ``_calls`` (the records a callback updates), ``auth_token``,
    ``auto_callbacks``, ``callback_delay`` and ``_stopping``, and resets ``_pending`` and
    ``_delivered`` with its records."""

    def _init_callbacks(self, workers: int) -> None:
        self._pending: list[Callback] = []
        self._delivered: list[Callback] = []
        self._queue: queue.Queue = queue.Queue()
        self._n_workers, self._workers = workers, []
        self._inflight, self._idle = 0, threading.Condition()

    @property
    def pending_callbacks(self) -> list[Callback]:
        """Callbacks waiting for ``deliver_callbacks()`` (made while ``auto_callbacks`` is off)."""
        with self._lock:
            return list(self._pending)

    @property
    def delivered_callbacks(self) -> list[Callback]:
        """Callbacks already applied, in delivery order, with ``response_status``/``error``."""
        with self._lock:
            return list(self._delivered)

    def deliver_callbacks(self, sid: str | None = None) -> list[Callback]:
        """Deliver pending callbacks now, in order (only those of ``sid`` if given)."""
        with self._lock:
            due = [cb for cb in self._pending if sid in (None, cb.sid)]
            self._pending = [cb for cb in self._pending if sid not in (None, cb.sid)]
        for cb in due:
            self._deliver(cb)
        return due

    def wait_for_callbacks(self, timeout: float = 5.0) -> bool:
        """Block until automatic callbacks are all delivered; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._inflight == 0, timeout)

    def _ensure_workers(self) -> None:
        with self._lock:
            while len(self._workers) < self._n_workers:
                worker = threading.Thread(target=self._work, name="fake-twilio-callbacks", daemon=True)
                self._workers.append(worker)
                worker.start()

    def _stop_workers(self) -> None:
        """A ``None`` queued for each worker: it ends when it takes one."""
        workers, self._workers = self._workers, []
        for _ in workers:
            self._queue.put(None)

    def _schedule(self, job: list[Callback], ready: threading.Event | None = None) -> None:
        """Queue one resource's callbacks; a worker holds them until ``ready`` is set."""
        if not self.auto_callbacks:
            with self._lock:
                self._pending.extend(job)
            return
        with self._idle:
            self._inflight += 1
        self._ensure_workers()
        self._queue.put((time.monotonic() + self.callback_delay, job, ready))

    def _work(self) -> None:
        """Callback worker: a job is one resource's events, so they stay in order."""
        while (item := self._queue.get()) is not None:
            due, job, ready = item
            try:
                if ready is not None:
                    ready.wait(5)  # only stays unset if a WSGI caller never close()s
                time.sleep(max(0.0, due - time.monotonic()))
                for cb in job:
                    if not self._stopping:
                        self._deliver(cb)
            finally:
                with self._idle:
                    self._inflight -= 1
                    self._idle.notify_all()

    def _deliver(self, cb: Callback) -> None:
        """Apply the status change to the record, then POST the signed callback."""
        with self._lock:
            record = (self._messages if cb.kind == "message" else self._calls).get(cb.sid)
            if record is None:  # reset() since it was scheduled
                return
            record.update(cb.updates, date_updated=timestamp())
        if cb.url:
            try:
                cb.response_status = post_signed(cb.url, cb.params, self.auth_token)
            except (OSError, http.client.HTTPException, ValueError) as exc:
                cb.error = repr(exc)
        with self._lock:
            self._delivered.append(cb)

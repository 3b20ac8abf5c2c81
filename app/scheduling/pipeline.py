"""Keeping the network busy: claimed rows go out many at a time, outcomes are stored in groups.

An API call waits ~0.2 s on the network and ~1 ms on the CPU, so one worker keeps up to a
window of calls in flight (``throttle.Window``: the account's concurrency limit, shared
with other workers by AIMD) on a pool of threads that do nothing but the call. This
thread does all the database work, in few transactions:

- before a group goes out, one query finds the learners who stopped since the claim
  (a STOP after the claim wins, as before);
- each row waits for its sender's pace (``throttle.SenderPace``, shared by all workers);
- outcomes are stored ``GROUP`` at a time, or every ``FLUSH_SECONDS``, in one
  transaction with one query for callbacks that came before their SIDs.

Exactly once: a row stays ``sending`` (leased) until its outcome is committed. If the
worker dies in between, the row's lease runs out and it is looked up at Twilio
(``find_sent``) before it is ever sent again.
"""
from __future__ import annotations

import logging
import queue
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from app.channels.registry import channels
from app.messaging.transport import SendError, SendResult
from app.models import Outbox
from app.observability import carry_context, metrics
from app.scheduling import delivery

log = logging.getLogger(__name__)
GROUP = 50
FLUSH_SECONDS = 0.1


class Pipeline:
    """One pass's sending: ``feed`` claimed rows, then ``finish``. Not thread-safe: one
    thread feeds and records; the pool threads only call the transport."""

    def __init__(self, ctx, *, now: datetime, stats: delivery.DeliveryStats, pool: ThreadPoolExecutor):
        self.ctx, self.now, self.stats, self.pool = ctx, now, stats, pool
        self.window = ctx.window
        self.done: queue.Queue = queue.Queue()
        self.in_flight = 0
        self.outcomes: list[tuple[Outbox, object]] = []
        self.flushed_at = time.monotonic()
        self._send = carry_context(self._call)  # the pass id goes with each call
        # Transports with an asyncio client (twilio) send SMS as coroutines on one loop thread.
        self.aio, self.loop = getattr(ctx.transport, "aio", None), ctx.loop

    # -- sending ---------------------------------------------------------------------------
    def feed(self, rows: list[Outbox]) -> None:
        """Send ``rows``, a group at a time: a group waits for its senders' pace, then one
        query drops the learners who stopped meanwhile, then it goes out. A full window
        waits for an eighth of itself to come back, so groups stay large (one query for
        many rows) while the window stays nearly full."""
        i = 0
        while i < len(rows):
            free = self.window.limit - self.in_flight
            if free < min(len(rows) - i, max(1, self.window.limit // 8)):
                self._collect(timeout=None)
                continue
            group, ready = rows[i:i + free], []
            i += len(group)
            for row in group:
                wait = self.ctx.throttle.reserve(row.segments, row.sender)
                if wait > 0:  # the sender's pace: send what is ready, store outcomes meanwhile
                    self._launch(ready)
                    ready = []
                    self._collect_until(time.monotonic() + wait)
                ready.append(row)
            self._launch(ready)
        self._collect_until(0)  # whatever has come back already

    def finish(self) -> None:
        while self.in_flight:
            self._collect(timeout=None)
        self.flush()

    def _launch(self, group: list[Outbox]) -> None:
        if not group:
            return
        stopped = self.flush(check=group)  # outcomes so far and the stop check: one transaction
        for row in group:
            if row.learner_id in stopped:
                self.outcomes.append((row, "cancel"))
                continue
            self.in_flight += 1
            if self.aio is not None and channels.for_row(row).sends_async and not row.uncertain:
                self.loop.submit(self._acall(row, self.window.started()))
            else:
                self.pool.submit(self._send, row, self.window.started())

    async def _acall(self, row: Outbox, ticket: int) -> None:
        try:
            outcome = await channels.for_row(row).asend(self.aio, row, self.ctx.status_callback(row.kind))
        except Exception as exc:  # noqa: BLE001  (a SendError, or a bug: stored as a timed-out attempt)
            outcome = exc
        self.done.put((row, ticket, outcome))

    def _call(self, row: Outbox, ticket: int) -> None:
        try:
            outcome = delivery.attempt(self.ctx.transport, row, self.ctx.status_callback(row.kind))
        except Exception as exc:  # noqa: BLE001  (a bug or a broken transport: stored as a timed-out attempt)
            outcome = exc
        self.done.put((row, ticket, outcome))

    # -- outcomes --------------------------------------------------------------------------
    def _collect(self, timeout: float | None) -> bool:
        try:
            row, ticket, outcome = self.done.get(timeout=timeout)
        except queue.Empty:
            return False
        self.in_flight -= 1
        if isinstance(outcome, SendError) and delivery.rate_limited(outcome):
            self.window.rate_limited(ticket)
        elif not isinstance(outcome, Exception) or isinstance(outcome, SendError):
            self.window.succeeded()
        self.outcomes.append((row, outcome))
        if len(self.outcomes) >= GROUP or time.monotonic() - self.flushed_at >= FLUSH_SECONDS:
            self.flush()
        return True

    def _collect_until(self, deadline: float) -> None:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                while self.in_flight and self._collect(timeout=0):
                    pass
                return
            if not self.in_flight:
                time.sleep(left)
                return
            self._collect(timeout=left)

    def flush(self, check: list[Outbox] | None = None) -> set[int]:
        """Store the outcomes so far in one transaction (one per row if that one fails);
        with ``check``, the same transaction finds which of those rows' learners stopped."""
        self.flushed_at = time.monotonic()
        outcomes, self.outcomes = self.outcomes, []
        stored = []
        for row, outcome in outcomes:
            if isinstance(outcome, Exception) and not isinstance(outcome, SendError):
                self._unexpected(row, outcome)  # in its own transaction, as a timed-out attempt
            else:
                stored.append((row, outcome))
        if not stored and not check:
            return set()
        try:
            with self.ctx.sessions() as db:
                self._store(db, stored)
                stopped = delivery.stopped_learners(db, check) if check else set()
                db.commit()
            return stopped
        except Exception:
            if not stored:
                raise
            log.warning("storing %s send outcomes together failed; storing them one by one", len(stored),
                        exc_info=True)
        for one in stored:
            try:
                with self.ctx.sessions() as db:
                    self._store(db, [one])
                    db.commit()
            except Exception as exc:  # noqa: BLE001  (one row's failure must not lose the others)
                self._unexpected(one[0], exc)
        if not check:
            return set()
        with self.ctx.sessions() as db:
            return delivery.stopped_learners(db, check)

    def _store(self, db, outcomes) -> None:
        ctx, now, stats = self.ctx, self.now, self.stats
        if not outcomes:
            return
        sids = [o.sid for _, o in outcomes if not isinstance(o, (Exception, str))]
        early = delivery.unapplied_events(db, sids)
        plain = [(row, o) for row, o in outcomes if isinstance(o, SendResult) and o.sid not in early]
        if plain:  # the common case, in one executemany: no ORM object per row
            delivery.record_accepted(db, plain, now=now, stats=stats)
            outcomes = [(row, o) for row, o in outcomes if not (isinstance(o, SendResult) and o.sid not in early)]
        for row, outcome in outcomes:
            row_here = db.merge(row, load=False)
            if outcome == "cancel":
                delivery.cancel(db, row_here, now=now, stats=stats)
            else:
                delivery.record(db, row_here, outcome, now=now, max_attempts=ctx.max_attempts, options=ctx.options,
                                stats=stats, early_events=early)

    def _unexpected(self, row: Outbox, exc: Exception) -> None:
        log.error("sending outbox %s failed (learner %s): %s", row.id, row.learner_id, exc,
                  exc_info=exc, extra={"learner_id": row.learner_id, "outbox_id": row.id})
        metrics.learner_failed("send")
        self.stats.add(send_errors=1)
        try:
            with self.ctx.sessions() as db:
                delivery.unexpected_failure(db, row.id, exc, now=self.now, max_attempts=self.ctx.max_attempts,
                                            options=self.ctx.options, stats=self.stats)
                db.commit()
        except Exception:  # the lease runs out and the row is reconciled
            log.exception("outbox %s stays sending until its lease ends", row.id)


def claim_size(ctx, limit: int | None) -> int:
    """Rows to claim at once: a window's worth, but no more than the senders can send well
    within the lease (at 1 segment/s, 100 rows would outlive it)."""
    size = max(ctx.window.ceiling, 20)
    paced = [r for r in ctx.rates.values() if r > 0]
    if paced and len(paced) == len(ctx.rates):
        size = min(size, max(1, int(sum(paced) * 30)))
    return max(1, min(size, 500) if limit is None else min(limit, size, 500))

"""Handing outbox rows to the transport, and learning what became of them.

A row is claimed (``sending``, with a lease) and committed before the API call, so a
crash leaves evidence. A row whose lease ran out, or whose last attempt timed out, may
have reached Twilio: it is looked up there before it is ever sent again. Retries back off
with jitter; a 21610 opts the learner out, an invalid number flags them; nothing is
dropped without a status saying why.
"""
from __future__ import annotations

import logging
import os
import random
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app import bulk
from app.channels.messages import flag_learner
from app.channels.options import ChannelOptions
from app.channels.outbox import backoff, locked_row
from app.channels.registry import channels
from app.db import locked
from app.messaging.transport import SendError, SendResult
from app.models import DeliveryEvent, Learner, Outbox
from app.observability import metrics

__all__ = ["backoff", "locked_row"]  # where callers have always found them
log = logging.getLogger(__name__)
LEASE = timedelta(minutes=2)
RATE_LIMIT_RETRY_SECONDS = 10  # after a 429: again within this, not after the failure backoff


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class DeliveryStats:
    """Counts of one delivery pass; ``add`` is safe from several sending threads."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    reconciled: int = 0
    requeued: int = 0
    cancelled: int = 0
    segments: int = 0
    send_errors: int = 0  # rows whose sending raised (not a Twilio error): logged, retried later
    rate_limited: int = 0  # 429/20429: queued again at once, not counted as an attempt
    out_of_time: int = 0  # 1: the pass stopped at SAATHI_DISPATCH_PASS_SECONDS with rows maybe left
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)


def claim(db: Session, *, now: datetime, worker: str, limit: int, choose=None) -> list[Outbox]:
    """Claim due rows (``sending``, with a lease) in one statement; ``choose(number)`` gives a
    row its sender at its first claim (app/messaging/senders.py), which it then keeps.

    One ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING``: loading the rows
    and writing each back took 60 ms per hundred, time in which the sender sent nothing.
    """
    due = (select(Outbox.id).where(Outbox.status == "queued", Outbox.next_attempt_at <= now)
           .order_by(Outbox.next_attempt_at, Outbox.id).limit(limit))
    rows = db.scalars(bulk.claim(Outbox, due, status="sending", claimed_by=worker, claimed_until=now + LEASE,
                                 attempts=Outbox.attempts + 1, updated_at=now)
                      .returning(Outbox), execution_options={"synchronize_session": False}).all()
    rows = sorted(rows, key=lambda r: (r.next_attempt_at, r.id))
    if choose is not None:
        for row in rows:
            if row.sender is None and channels.for_row(row).chooses_sender:
                row.sender = choose(row.to_number)  # written when the caller commits
    return rows


def reconcile_stale(db: Session, *, transport, now: datetime, stats: DeliveryStats, limit: int = 200) -> None:
    """Rows a dead worker left in ``sending``: find them at the provider, or queue them again."""
    rows = db.exec(select(Outbox).where(Outbox.status == "sending", Outbox.claimed_until < now)
                   .limit(limit).with_for_update(skip_locked=True)).all()
    for row in rows:
        row.uncertain = True
        row.status, row.claimed_by, row.claimed_until = "queued", None, None
        row.next_attempt_at = now
        db.add(row)
        stats.add(requeued=1)


@dataclass
class Reconciled(SendResult):
    """Twilio already had this message (an uncertain row found by ``find_sent``)."""


def attempt(transport, row: Outbox, status_callback: str | None) -> SendResult | SendError:
    """The network half of a send, no database: look an uncertain row up at Twilio first,
    else send it. Safe in any thread; ``record`` stores what it returns."""
    channel = channels.for_row(row)
    try:
        if row.uncertain:
            sid = channel.find_sent(transport, row)
            if sid:
                return Reconciled(sid=sid, status="accepted")
        return channel.send(transport, row, status_callback)
    except SendError as exc:
        return exc


def deliver_row(db: Session, row: Outbox, *, transport, now: datetime, status_callback: str | None,
                max_attempts: int, options: ChannelOptions, stats: DeliveryStats) -> None:
    """Send one claimed row and record the outcome (in ``db``; the caller commits)."""
    record(db, row, attempt(transport, row, status_callback), now=now, max_attempts=max_attempts,
           options=options, stats=stats)


def record(db: Session, row: Outbox, outcome: SendResult | SendError, *, now: datetime, max_attempts: int,
           options: ChannelOptions, stats: DeliveryStats, early_events: dict | None = None) -> None:
    """Store what became of a send (in ``db``; the caller commits). ``early_events``: the
    unapplied status callbacks of a whole group, by SID, found in one query (``None``:
    look this row's up)."""
    if isinstance(outcome, SendError):
        _failed_attempt(db, row, outcome, now=now, max_attempts=max_attempts, options=options, stats=stats)
        return
    result = outcome
    for column, value in _accepted(row, result, now=now, stats=stats).items():
        setattr(row, column, value)
    db.add(row)
    if early_events is None:
        db.flush()
        events = db.exec(select(DeliveryEvent).where(DeliveryEvent.sid == result.sid,
                                                     DeliveryEvent.applied.is_(False))).all()
    else:
        events = early_events.get(result.sid, ())
    for event in events:
        channels.for_row(row).apply_status(db, row, event.status, error_code=event.error_code, now=now,
                                           options=options, max_attempts=max_attempts)
        event.applied = True
        db.add(event)


def record_accepted(db: Session, sent: list[tuple[Outbox, SendResult]], *, now: datetime,
                    stats: DeliveryStats) -> None:
    """``record`` for many accepted sends with no early callbacks, in one executemany.

    Only rows still ``sending`` are written: a row is never moved back from a later state.
    """
    if not sent:
        return
    table = Outbox.__table__
    params = [{"_id": row.id, **{f"_{k}": v for k, v in _accepted(row, result, now=now, stats=stats).items()}}
              for row, result in sent]
    columns = [k[1:] for k in params[0] if k != "_id"]
    db.execute(update(table).where(table.c.id == bindparam("_id"), table.c.status == "sending")
               .values({column: bindparam(f"_{column}") for column in columns}),
               params, execution_options={"synchronize_session": False})


def _accepted(row: Outbox, result: SendResult, *, now: datetime, stats: DeliveryStats) -> dict:
    """What an accepted send writes on its row, counted once: the one mapping behind
    ``record`` (one row) and ``record_accepted`` (many)."""
    segments = result.segments or row.segments
    stats.add(sent=1, segments=segments, reconciled=int(isinstance(result, Reconciled)))
    metrics.sent(row.kind, row.purpose, due=row.next_attempt_at, now=now)
    return {"sid": result.sid, "status": "delivered" if result.status == "delivered" else "accepted",
            "segments": segments, "sent_at": now, "uncertain": False, "claimed_by": None, "claimed_until": None,
            "error_code": None, "error_message": None, "updated_at": now}


def drop_if_stopped(db: Session, row: Outbox, *, now: datetime, stats: DeliveryStats) -> bool:
    """Cancel a claimed row whose learner opted out (or proved unreachable) since the claim.

    A row can wait seconds for the segment throttle, and STOP only cancels the rows still
    queued. Meant for its own short transaction just before the send: on SQLite a
    transaction open across the API call would keep every other sender waiting.
    """
    learner = db.get(Learner, row.learner_id) if row.learner_id else None
    if learner is None or learner.active:
        return False
    cancel(db, row, now=now, stats=stats)
    return True


def stopped_learners(db: Session, rows: list[Outbox]) -> set[int]:
    """Of the learners these claimed rows go to, those who opted out (or proved
    unreachable) since the claim: one query for a whole group, just before it is sent."""
    ids = {r.learner_id for r in rows if r.learner_id}
    if not ids:
        return set()
    return set(db.exec(select(Learner.id).where(Learner.id.in_(ids), Learner.status != "active")).all())


def cancel(db: Session, row: Outbox, *, now: datetime, stats: DeliveryStats) -> None:
    row.status, row.claimed_by, row.claimed_until, row.updated_at = "cancelled", None, None, now
    db.add(row)
    stats.add(cancelled=1)


def unapplied_events(db: Session, sids: list[str]) -> dict[str, list[DeliveryEvent]]:
    """Status callbacks that came before their SIDs were stored, for a group of sends."""
    found: dict[str, list[DeliveryEvent]] = {}
    if sids:
        for event in db.exec(select(DeliveryEvent).where(DeliveryEvent.sid.in_(sids),
                                                         DeliveryEvent.applied.is_(False))
                             .order_by(DeliveryEvent.id)).all():
            found.setdefault(event.sid, []).append(event)
    return found


def rate_limited(exc: SendError) -> bool:
    """Twilio's "too many requests" (HTTP 429, code 20429): nothing was sent and nothing is
    wrong with the message; the account is busy. Always safe to send again."""
    return exc.status == 429 or exc.code == 20429


def _failed_attempt(db, row: Outbox, exc: SendError, *, now, max_attempts, options: ChannelOptions, stats) -> None:
    row.error_code, row.error_message = exc.code, exc.message[:400]
    row.claimed_by = row.claimed_until = None
    row.updated_at = now
    learner = db.get(Learner, row.learner_id) if row.learner_id else None
    if rate_limited(exc):
        # Not an attempt: it does not count towards SEND_MAX_ATTEMPTS, and the row goes
        # again soon (a few seconds, jittered so the workers do not come back together).
        row.status, row.attempts = "queued", max(row.attempts - 1, 0)
        row.next_attempt_at = now + timedelta(seconds=random.uniform(RATE_LIMIT_RETRY_SECONDS / 2,
                                                                     RATE_LIMIT_RETRY_SECONDS))
        stats.add(rate_limited=1)
        metrics.retried(row.kind, row.purpose)
    elif exc.verdict == "retry" and row.attempts < max_attempts:
        row.status = "queued"
        row.uncertain = exc.status is None  # a timeout: Twilio may have it
        row.next_attempt_at = now + backoff(row.attempts)
        stats.add(retried=1)
        metrics.retried(row.kind, row.purpose)
    else:
        row.status = "dead"
        stats.add(failed=1)
        metrics.failed(row.kind, row.purpose, exc.verdict)
        if learner is not None and exc.verdict in ("opted_out", "invalid_number"):
            flag_learner(db, learner, exc.verdict, exc.code, now=now)
        else:
            channels.for_row(row).give_up(db, row, now=now, options=options)
        log.warning("outbox %s dead after %s attempts: %s", row.id, row.attempts, exc)
    db.add(row)


def unexpected_failure(db: Session, row_id: int, exc: Exception, *, now: datetime, max_attempts: int,
                       options: ChannelOptions, stats: DeliveryStats) -> None:
    """A claimed row whose sending raised something other than a ``SendError`` (a bug, a lost
    database connection): treated as a timed-out attempt. It may have reached Twilio, so it
    is looked up there before it is sent again, after the usual backoff; a row that keeps
    failing ends ``dead`` like any other, instead of failing on every pass."""
    row = db.exec(locked(select(Outbox).where(Outbox.id == row_id))).first()
    if row is None or row.status != "sending":
        return  # it got as far as a recorded outcome
    error = SendError("retry", None, None, f"{type(exc).__name__} while sending")
    _failed_attempt(db, row, error, now=now, max_attempts=max_attempts, options=options, stats=stats)


LATE_EVENT_WINDOW = timedelta(days=1)


def apply_late_events(db: Session, *, now: datetime, options: ChannelOptions, max_attempts: int = 6,
                      limit: int = 500) -> int:
    """Status callbacks that raced the commit of the SID they report on.

    On PostgreSQL the webhook's transaction and the sender's can miss each other: the
    webhook finds no row with that SID yet, and the sender looked for early events just
    before the webhook stored its one. A call's status webhook waits a moment for the SID,
    but not for ever. Each pass picks such events up; a partial index keeps this to the
    few unapplied events of the last day.
    """
    rows = db.exec(locked(select(DeliveryEvent, Outbox).join(Outbox, Outbox.sid == DeliveryEvent.sid)
                          .where(DeliveryEvent.applied.is_(False),
                                 DeliveryEvent.received_at >= now - LATE_EVENT_WINDOW)
                          .order_by(DeliveryEvent.id).limit(limit),
                          skip_locked=True, of=[DeliveryEvent, Outbox])).all()
    for event, row in rows:
        channels.for_row(row).apply_status(db, row, event.status, error_code=event.error_code, now=now,
                                           options=options, max_attempts=max_attempts)
        event.applied = True
        db.add(event)
    return len(rows)


def record_status(db: Session, *, sid: str, status: str, error_code: int | None, now: datetime,
                  options: ChannelOptions, max_attempts: int = 6) -> bool:
    """Store a status callback (once per sid and status) and apply it if its row is known."""
    status = (status or "").lower()
    try:
        with db.begin_nested():
            event = DeliveryEvent(sid=sid, status=status, error_code=error_code, received_at=now)
            db.add(event)
            db.flush()
    except IntegrityError:
        return False  # the same callback again
    metrics.status_callback(status)
    row = locked_row(db, sid)
    if row is not None:
        channels.for_row(row).apply_status(db, row, status, error_code=error_code, now=now, options=options,
                                           max_attempts=max_attempts)
        event.applied = True
        db.add(event)
    return True

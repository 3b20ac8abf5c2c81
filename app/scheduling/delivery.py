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

from app.db import locked
from app.messaging.transport import SendError, SendResult
from app.models import DeliveryEvent, Learner, Outbox, Prompt
from app.observability import metrics
from app.voice.settings import VoiceOptions

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=2)
BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 3600
RATE_LIMIT_RETRY_SECONDS = 10  # after a 429: again within this, not after the failure backoff
# Twilio statuses in the order they can follow each other; a late callback never moves back.
STATUS_RANK = {"queued": 0, "accepted": 0, "sending": 1, "sent": 2, "receiving": 2,
               "undelivered": 3, "failed": 3, "delivered": 4, "read": 5}
FAILED = ("undelivered", "failed")
UNREACHABLE_CODES = {30005, 30006, 21211, 21614}
OPT_OUT_CODES = {21610, 30004}


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def backoff(attempts: int, rng: random.Random = random) -> timedelta:
    """Exponential backoff with full jitter: 30 s, 60 s, 120 s ... capped at an hour."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=ceiling / 2 + rng.uniform(0, ceiling / 2))


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
           .order_by(Outbox.next_attempt_at, Outbox.id).limit(limit).with_for_update(skip_locked=True))
    rows = db.scalars(update(Outbox).where(Outbox.id.in_(due))
                      .values(status="sending", claimed_by=worker, claimed_until=now + LEASE,
                              attempts=Outbox.attempts + 1, updated_at=now)
                      .returning(Outbox), execution_options={"synchronize_session": False}).all()
    rows = sorted(rows, key=lambda r: (r.next_attempt_at, r.id))
    if choose is not None:
        for row in rows:
            if row.sender is None and row.kind == "sms":
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


def _send(transport, row: Outbox, status_callback: str | None) -> SendResult:
    if row.kind == "call":
        return transport.place_call(to=row.to_number, url=row.body, status_callback=status_callback)
    sender = {"sender": row.sender} if row.sender else {}  # transports without senders never see one
    return transport.send_sms(to=row.to_number, body=row.body, status_callback=status_callback, **sender)


@dataclass
class Reconciled(SendResult):
    """Twilio already had this message (an uncertain row found by ``find_sent``)."""


def attempt(transport, row: Outbox, status_callback: str | None) -> SendResult | SendError:
    """The network half of a send, no database: look an uncertain row up at Twilio first,
    else send it. Safe in any thread; ``record`` stores what it returns."""
    try:
        if row.uncertain and row.kind == "sms":
            sender = {"sender": row.sender} if row.sender else {}
            sid = transport.find_sent(to=row.to_number, body=row.body, since=row.created_at, **sender)
            if sid:
                return Reconciled(sid=sid, status="accepted")
        return _send(transport, row, status_callback)
    except SendError as exc:
        return exc


def deliver_row(db: Session, row: Outbox, *, transport, now: datetime, status_callback: str | None,
                max_attempts: int, voice: VoiceOptions, stats: DeliveryStats) -> None:
    """Send one claimed row and record the outcome (in ``db``; the caller commits)."""
    record(db, row, attempt(transport, row, status_callback), now=now, max_attempts=max_attempts,
           voice=voice, stats=stats)


def record(db: Session, row: Outbox, outcome: SendResult | SendError, *, now: datetime, max_attempts: int,
           voice: VoiceOptions, stats: DeliveryStats, early_events: dict | None = None) -> None:
    """Store what became of a send (in ``db``; the caller commits). ``early_events``: the
    unapplied status callbacks of a whole group, by SID, found in one query (``None``:
    look this row's up)."""
    if isinstance(outcome, SendError):
        _failed_attempt(db, row, outcome, now=now, max_attempts=max_attempts, voice=voice, stats=stats)
        return
    result = outcome
    if isinstance(result, Reconciled):
        stats.add(reconciled=1)
    row.sid, row.sent_at, row.uncertain = result.sid, now, False
    row.status = "delivered" if result.status == "delivered" else "accepted"
    if result.segments:
        row.segments = result.segments
    row.claimed_by = row.claimed_until = None
    row.error_code = row.error_message = None
    row.updated_at = now
    db.add(row)
    stats.add(sent=1, segments=row.segments)
    metrics.sent(row.kind, row.purpose, due=row.next_attempt_at, now=now)
    if early_events is None:
        db.flush()
        events = db.exec(select(DeliveryEvent).where(DeliveryEvent.sid == result.sid,
                                                     DeliveryEvent.applied.is_(False))).all()
    else:
        events = early_events.get(result.sid, ())
    for event in events:
        apply_status(db, row, event.status, event.error_code, now=now, voice=voice, max_attempts=max_attempts)
        event.applied = True
        db.add(event)


def record_accepted(db: Session, sent: list[tuple[Outbox, SendResult]], *, now: datetime,
                    stats: DeliveryStats) -> None:
    """``record`` for many accepted sends with no early callbacks, in one executemany.

    Only rows still ``sending`` are written: a row is never moved back from a later state.
    """
    table = Outbox.__table__
    params = []
    for row, result in sent:
        segments = result.segments or row.segments
        params.append({"_id": row.id, "_sid": result.sid, "_segments": segments,
                       "_status": "delivered" if result.status == "delivered" else "accepted"})
        stats.add(sent=1, segments=segments, reconciled=int(isinstance(result, Reconciled)))
        metrics.sent(row.kind, row.purpose, due=row.next_attempt_at, now=now)
    db.execute(update(table).where(table.c.id == bindparam("_id"), table.c.status == "sending")
               .values(sid=bindparam("_sid"), status=bindparam("_status"), segments=bindparam("_segments"),
                       sent_at=now, uncertain=False, claimed_by=None, claimed_until=None, error_code=None,
                       error_message=None, updated_at=now),
               params, execution_options={"synchronize_session": False})


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


def _failed_attempt(db, row: Outbox, exc: SendError, *, now, max_attempts, voice: VoiceOptions, stats) -> None:
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
            _flag_learner(db, learner, exc.verdict, exc.code, now=now)
        else:
            give_up(db, row, now=now, voice=voice)
        log.warning("outbox %s dead after %s attempts: %s", row.id, row.attempts, exc)
    db.add(row)


def unexpected_failure(db: Session, row_id: int, exc: Exception, *, now: datetime, max_attempts: int,
                       voice: VoiceOptions, stats: DeliveryStats) -> None:
    """A claimed row whose sending raised something other than a ``SendError`` (a bug, a lost
    database connection): treated as a timed-out attempt. It may have reached Twilio, so it
    is looked up there before it is sent again, after the usual backoff; a row that keeps
    failing ends ``dead`` like any other, instead of failing on every pass."""
    row = db.exec(locked(select(Outbox).where(Outbox.id == row_id))).first()
    if row is None or row.status != "sending":
        return  # it got as far as a recorded outcome
    error = SendError("retry", None, None, f"{type(exc).__name__} while sending")
    _failed_attempt(db, row, error, now=now, max_attempts=max_attempts, voice=voice, stats=stats)


def _flag_learner(db: Session, learner: Learner, verdict: str, code: int | None, *, now: datetime) -> None:
    from app.learning.engine import opt_out

    if verdict == "opted_out":
        opt_out(db, learner, now=now, reason=f"carrier reports opt-out (Twilio {code})")
    else:
        opt_out(db, learner, now=now, reason=f"unreachable number (Twilio {code})")
        learner.status = "invalid"
        db.add(learner)


def give_up(db: Session, row: Outbox, *, now: datetime, voice: VoiceOptions) -> None:
    """An SMS prompt that will not get through: a learner who also takes calls (channel
    "both") is called with it instead; anyone else gets the prompt again later."""
    from app.voice.calls import call_instead_of_sms

    if row.kind == "sms" and row.purpose in ("prompt", "reminder") and call_instead_of_sms(db, row, now=now, options=voice):
        return
    release_prompt(db, row, now=now)


def release_prompt(db: Session, row: Outbox, *, now: datetime) -> None:
    """The learner never got this prompt: free them, and let the prompt come again later."""
    if not row.prompt_id:
        return
    prompt = db.get(Prompt, row.prompt_id)
    if prompt is None or prompt.status != "pending":
        return
    if prompt.kind in ("question", "rating", "comment"):
        prompt.status, prompt.sent_at, prompt.due_at = "queued", None, now + timedelta(hours=6)
    else:
        prompt.status, prompt.closed_at = "expired", now  # the card stays due
    db.add(prompt)


def apply_status(db: Session, row: Outbox, status: str, error_code: int | None, *, now: datetime,
                 voice: VoiceOptions, max_attempts: int = 6) -> None:
    """Move a row forward to a reported status; a failed prompt is queued once more."""
    current = STATUS_RANK.get(row.status, 0)
    if row.status in ("dead", "cancelled", "replied") or STATUS_RANK.get(status, -1) <= current:
        return
    row.status, row.updated_at = status, now
    if error_code:
        row.error_code = error_code
    db.add(row)
    if status not in FAILED:
        return
    metrics.failed(row.kind, row.purpose, status)
    learner = db.get(Learner, row.learner_id) if row.learner_id else None
    if learner is not None and error_code in OPT_OUT_CODES | UNREACHABLE_CODES:
        _flag_learner(db, learner, "opted_out" if error_code in OPT_OUT_CODES else "invalid_number",
                      error_code, now=now)
        return
    if (row.purpose in ("prompt", "reminder") and row.attempts < max_attempts and learner and learner.active
            and _prompt_open(db, row)):
        metrics.retried(row.kind, row.purpose)
        db.add(Outbox(learner_id=row.learner_id, prompt_id=row.prompt_id, kind=row.kind,
                      purpose=row.purpose, to_number=row.to_number, body=row.body,
                      encoding=row.encoding, segments=row.segments, status="queued",
                      attempts=row.attempts, next_attempt_at=now + backoff(row.attempts),
                      created_at=now, updated_at=now))
    else:
        give_up(db, row, now=now, voice=voice)


def _prompt_open(db: Session, row: Outbox) -> bool:
    """Still waiting for an answer? A late "undelivered" for a prompt the learner has since
    answered is a carrier's mistake: sending the question again would ask it twice."""
    if not row.prompt_id:
        return True
    prompt = db.get(Prompt, row.prompt_id)
    return prompt is not None and prompt.status == "pending"


LATE_EVENT_WINDOW = timedelta(days=1)


def locked_row(db: Session, sid: str) -> Outbox | None:
    """The row a callback reports on, locked and read afresh.

    Two callbacks for one message (a pass applying a late "sent", the webhook applying
    "delivered") each read the status, then write theirs. Without the lock the slower
    write wins, whatever it says: "delivered" was seen overwritten by "sent".
    """
    return db.exec(locked(select(Outbox).where(Outbox.sid == sid))).first()


def apply_late_events(db: Session, *, now: datetime, voice: VoiceOptions, max_attempts: int = 6,
                      limit: int = 500) -> int:
    """Status callbacks that raced the commit of the SID they report on.

    On PostgreSQL the webhook's transaction and the sender's can miss each other: the
    webhook finds no row with that SID yet, and the sender looked for early events just
    before the webhook stored its one. A call's status webhook waits a moment for the SID,
    but not for ever. Each pass picks such events up; a partial index keeps this to the
    few unapplied events of the last day.
    """
    from app.voice.status import apply_call_status

    rows = db.exec(locked(select(DeliveryEvent, Outbox).join(Outbox, Outbox.sid == DeliveryEvent.sid)
                          .where(DeliveryEvent.applied.is_(False),
                                 DeliveryEvent.received_at >= now - LATE_EVENT_WINDOW)
                          .order_by(DeliveryEvent.id).limit(limit),
                          skip_locked=True, of=[DeliveryEvent, Outbox])).all()
    for event, row in rows:
        if row.kind == "call":
            apply_call_status(db, row, event.status, None, now=now, options=voice)
        else:
            apply_status(db, row, event.status, event.error_code, now=now, voice=voice, max_attempts=max_attempts)
        event.applied = True
        db.add(event)
    return len(rows)


def record_status(db: Session, *, sid: str, status: str, error_code: int | None, now: datetime,
                  voice: VoiceOptions, max_attempts: int = 6) -> bool:
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
        apply_status(db, row, status, error_code, now=now, voice=voice, max_attempts=max_attempts)
        event.applied = True
        db.add(event)
    return True

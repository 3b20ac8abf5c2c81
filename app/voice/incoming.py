"""Missed calls: a learner rings Saathi, Saathi rings back with a practice session.

Calling costs a learner money; being called does not. So an inbound call is refused
unanswered (``<Reject>``: nothing is charged) and a callback is queued instead, at most
one per learner per ``callback_interval``. The call is stored in ``Inbound`` under its
CallSid first, so a webhook Twilio repeats finds its row and queues nothing more. Only an
unknown number is answered, briefly, to say that it is not registered.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.db import locked
from app.learning.inbound import clean_text
from app.models import Inbound, Learner, Outbox
from app.voice.calls import build_call, dial, dials_of, open_calls
from app.voice.settings import VoiceOptions

# What became of a missed call (kept in Inbound.reply).
CALLBACK, HURRIED, LIMITED, BUSY, NOTHING, INACTIVE, UNKNOWN = (
    "callback", "hurried", "rate-limited", "in-call", "nothing-to-ask", "inactive", "unknown")


@dataclass
class MissedCall:
    outcome: str
    learner: Learner | None = None
    duplicate: bool = False
    outbox: Outbox | None = None

    @property
    def known(self) -> bool:
        return self.learner is not None


def receive_missed_call(*, db: Session, sid: str, from_number: str, to_number: str | None, now: datetime,
                        options: VoiceOptions, base_url: str) -> MissedCall:
    """Store an inbound call once and, for a known learner, queue a callback if one is due."""
    sid, from_number = clean_text(sid, 64), clean_text(from_number, 32)
    learner = db.exec(select(Learner).where(Learner.phone == from_number)).first()
    existing = db.exec(select(Inbound).where(Inbound.sid == sid)).first()
    if existing is not None:
        return MissedCall(existing.reply or "", learner, duplicate=True)
    inbound = Inbound(sid=sid, channel="voice", from_number=from_number,
                      to_number=clean_text(to_number, 32) or None, body="",
                      learner_id=learner.id if learner else None, received_at=now)
    try:
        with db.begin_nested():
            db.add(inbound)
            db.flush()
    except IntegrityError:  # the same webhook, twice at once: the first one acts
        existing = db.exec(select(Inbound).where(Inbound.sid == sid)).one()
        return MissedCall(existing.reply or "", learner, duplicate=True)
    result = _call_back(db, learner, now=now, options=options, base_url=base_url)
    inbound.reply = result.outcome
    if result.outbox is not None:
        inbound.prompt_id = result.outbox.prompt_id
    db.add(inbound)
    db.flush()
    return result


def _call_back(db: Session, learner: Learner | None, *, now, options: VoiceOptions, base_url: str) -> MissedCall:
    if learner is None:
        return MissedCall(UNKNOWN)
    # Lock the learner: two missed calls at once must not both pass the rate limit.
    learner = db.exec(locked(select(Learner).where(Learner.id == learner.id))).one()
    if not learner.active:
        return MissedCall(INACTIVE, learner)
    for call in open_calls(db, learner.id):
        dials = dials_of(db, call)
        waiting = next((row for row in dials if row.status == "queued"), None)
        if waiting is not None:  # a call is planned anyway (a retry, say): place it now instead
            waiting.next_attempt_at = min(waiting.next_attempt_at, now + options.callback_delay)
            waiting.updated_at = now
            db.add(waiting)
            return MissedCall(HURRIED, learner, outbox=waiting)
        if call.status == "in-progress" or dials:
            return MissedCall(BUSY, learner)  # on the line, or being dialled right now
    last = db.exec(select(Outbox.created_at).where(Outbox.learner_id == learner.id, Outbox.kind == "call",
                                                   Outbox.purpose == "callback")
                   .order_by(Outbox.created_at.desc())).first()
    if last is not None and last > now - options.callback_interval:
        return MissedCall(LIMITED, learner)
    call = build_call(db, learner, now=now, purpose="callback", options=options)
    if call is None:
        return MissedCall(NOTHING, learner)
    row = dial(db, call, learner, now=now, purpose="callback", base_url=base_url,
               at=now + options.callback_delay)
    db.flush()
    return MissedCall(CALLBACK, learner, outbox=row)

"""An inbound SMS, stored once and answered once, however often Twilio retries it.

The reply is computed here, in the request (the learner is waiting for it), and kept on
the ``Inbound`` row: a retried webhook with the same MessageSid gets the same reply and
stores nothing new.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.db import locked
from app.learning import texts
from app.learning.engine import handle_text
from app.learning.policy import Policy
from app.messaging.segments import count_segments
from app.models import Inbound, Learner, Outbox

SEPARATOR = "\x1e"  # between the messages of one stored reply
MAX_BODY = 1600
_CONTROL = dict.fromkeys(c for c in range(32) if chr(c) not in "\n\t")
_CONTROL[0x7F] = None


def clean_text(text: str | None, limit: int = MAX_BODY) -> str:
    """Text as it may be stored: control characters (NUL breaks PostgreSQL) dropped, bounded."""
    return (text or "").translate(_CONTROL)[:limit]


@dataclass
class Reply:
    """The messages Saathi answers with (each its own SMS); ``str()`` shows them together."""

    messages: list[str] = field(default_factory=list)
    duplicate: bool = False

    def __bool__(self) -> bool:
        return bool(self.messages)

    def __str__(self) -> str:
        return "\n\n".join(self.messages)


def receive_sms(*, db: Session, sid: str, from_number: str, body: str, now: datetime,
                policy: Policy, to_number: str | None = None, channel: str = "sms") -> Reply:
    """Store an inbound message and return Saathi's reply to it."""
    sid, from_number, body = clean_text(sid, 64), clean_text(from_number, 32), clean_text(body)
    to_number = clean_text(to_number, 32) or None
    existing = db.exec(select(Inbound).where(Inbound.sid == sid)).first()
    if existing is not None:
        return Reply(_split(existing.reply), duplicate=True)
    # One reply at a time per learner: two texts sent a moment apart may reach two web
    # workers at once, and each would grade the same pending question. The lock also keeps
    # the planner (which skips locked learners) from putting a new prompt in meanwhile.
    learner = db.exec(locked(select(Learner).where(Learner.phone == from_number))).first()
    inbound = Inbound(sid=sid, channel=channel, from_number=from_number, to_number=to_number,
                      body=body, learner_id=learner.id if learner else None,
                      received_at=now)
    try:
        with db.begin_nested():
            db.add(inbound)
            db.flush()
    except IntegrityError:
        # Twilio retried while the first delivery was still being handled: the first wins.
        existing = db.exec(select(Inbound).where(Inbound.sid == sid)).one()
        return Reply(_split(existing.reply), duplicate=True)
    if learner is None:
        outgoing = [texts.unknown_number_text(from_number)]
    else:
        out = handle_text(db=db, learner=learner, text=body, now=now, policy=policy, channel=channel)
        outgoing = [o.body for o in out]
        for o in out:
            _record_reply(db, learner=learner, body=o.body, prompt_id=o.prompt_id, now=now)
        if out and out[-1].prompt_id:
            inbound.prompt_id = out[-1].prompt_id
    inbound.reply = SEPARATOR.join(outgoing)
    db.add(inbound)
    db.flush()
    return Reply(outgoing)


def _record_reply(db: Session, *, learner: Learner, body: str, prompt_id: int | None, now: datetime) -> None:
    """Replies travel in the webhook's TwiML; the outbox keeps them for cost and history."""
    info = count_segments(body)
    db.add(Outbox(learner_id=learner.id, prompt_id=prompt_id, kind="sms", purpose="reply",
                  to_number=learner.phone, body=body, encoding=info.encoding, segments=info.segments,
                  status="replied", next_attempt_at=now, created_at=now, sent_at=now, updated_at=now))


def _split(stored: str | None) -> list[str]:
    return [m for m in (stored or "").split(SEPARATOR) if m]

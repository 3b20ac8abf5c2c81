"""An inbound SMS, stored once and answered once, however often Twilio retries it.

The reply is computed here, in the request (the learner is waiting for it), and kept on
the ``Inbound`` row: a retried webhook with the same MessageSid gets the same reply and
stores nothing new.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from app.channels.registry import channels
from app.db import upsert
from app.learning import texts
from app.learning.conversation import load, lock_learner
from app.learning.engine import handle_text
from app.learning.policy import Policy
from app.learning.strangers import STRANGERS, Strangers
from app.messaging.segments import count_segments
from app.models import Inbound, Learner, Outbox
from app.scheduling import wake

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
                policy: Policy, to_number: str | None = None, channel: str = "sms", send=None) -> Reply:
    """Store an inbound message and return Saathi's reply to it.

    The learner is locked first, then everything the reply needs is read in one query
    (``conversation.load``, which also finds an earlier delivery of this MessageSid), and
    what the reply changes is written in one flush: a quiz answer costs 7 statements
    (tests/test_answer_cost.py). Same MessageSid again: the stored reply, nothing stored.
    ``send(db, learner, outgoing)`` queues the replies on a channel that cannot answer in
    the webhook's response (WhatsApp buttons); by default they travel in it, as TwiML.
    """
    sid, from_number, body = clean_text(sid, 64), clean_text(from_number, 32), clean_text(body)
    to_number = clean_text(to_number, 32) or None
    known = lock_learner(db, from_number)
    talk = load(db, now=now, phone=from_number, sid=sid) if known is not False else None
    if talk is None:
        return _from_stranger(db, sid=sid, channel=channel, from_number=from_number, to_number=to_number,
                              body=body, now=now)
    if talk.replayed is not None:
        # Twilio retried: the learner's lock made this delivery wait for the first one. Replies
        # that went through the outbox (a DLT site's) were queued then: nothing in the response.
        queued = send is not None or channels.named(channel).reply_sender(db, talk.learner, now=now) is not None
        return Reply([] if queued else _split(talk.replayed), duplicate=True)
    return answer_loaded(db, talk, sid=sid, from_number=from_number, to_number=to_number, body=body, now=now,
                         policy=policy, channel=channel, send=send)


def answer_loaded(db: Session, talk, *, sid: str, from_number: str, to_number: str | None, body: str,
                  now: datetime, policy: Policy, channel: str = "sms", send=None) -> Reply:
    """``receive_sms`` once the learner is locked and their conversation loaded (a channel
    with its own door, WhatsApp, loads it itself and answers through here)."""
    learner = talk.learner
    send = send or channels.named(channel).reply_sender(db, learner, now=now)
    out = handle_text(db=db, learner=learner, text=body, now=now, policy=policy, channel=channel,
                      conversation=talk)
    # (When ``talk.freed``, nothing awaits the learner's answer any more: the place to tell
    # the dispatcher to look at this learner again, with one UPDATE of the learner row.)
    for o in out:
        if send is not None:
            send(db, learner, o)
        else:
            _record_reply(db, learner=learner, body=o.body, prompt_id=o.prompt_id, now=now)
    outgoing = [o.body for o in out]
    # Last, and plain: a second row for this MessageSid cannot get past the learner's lock
    # and the look ``load`` took; if one ever did, the unique index undoes the whole answer.
    db.add(Inbound(sid=sid, channel=channel, from_number=from_number, to_number=to_number, body=body,
                   learner_id=learner.id, prompt_id=out[-1].prompt_id if out else None,
                   reply=SEPARATOR.join(outgoing), received_at=now))
    if send is None:
        wake.write_with_changes(db)  # in one statement: nothing later in the request reads them back
    else:
        db.flush()
    return Reply([] if send is not None else outgoing)  # queued replies are not in the response too


def _from_stranger(db: Session, *, sid: str, channel: str, from_number: str, to_number: str | None,
                   body: str, now: datetime, strangers: Strangers = STRANGERS) -> Reply:
    """A number no learner has: told to ask the trainer, unless a registered answerer knows
    it (``app.learning.strangers``: a mentor's or a mentee's). Nothing is locked, so the unique
    MessageSid decides which of two deliveries at once is stored (and answered): a retry is
    answered once."""
    reply = strangers.answer(db, phone=from_number, text=body, now=now)
    outgoing = [reply or texts.unknown_number_text(from_number)]
    statement = upsert(db, Inbound.__table__).values(
        sid=sid, channel=channel, from_number=from_number, to_number=to_number, body=body,
        reply=SEPARATOR.join(outgoing), received_at=now)
    stored = db.exec(statement.on_conflict_do_nothing(index_elements=["sid"]).returning(Inbound.id)).first()
    if stored is None:
        existing = db.exec(select(Inbound.reply).where(Inbound.sid == sid)).one()
        return Reply(_split(existing), duplicate=True)
    return Reply(outgoing)


def _record_reply(db: Session, *, learner: Learner, body: str, prompt_id: int | None, now: datetime) -> None:
    """Replies travel in the webhook's TwiML; the outbox keeps them for cost and history."""
    info = count_segments(body)
    db.add(Outbox(learner_id=learner.id, prompt_id=prompt_id, kind="sms", purpose="reply",
                  to_number=learner.phone, body=body, encoding=info.encoding, segments=info.segments,
                  status="replied", next_attempt_at=now, created_at=now, sent_at=now, updated_at=now))


def _split(stored: str | None) -> list[str]:
    return [m for m in (stored or "").split(SEPARATOR) if m]

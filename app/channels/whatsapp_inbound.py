"""An inbound WhatsApp message: the window opens, then it is an answer like any other.

Stored once per MessageSid and graded by the same engine as an SMS (``receive_sms``).
Three things are WhatsApp's own. The message opens the learner's 24-hour window. A
reply to an opener template (the question itself not yet seen) is not an answer: the
question goes now, inside the window. A tapped button names the prompt it was offered
for (``ButtonPayload``): a tap on a question that has moved on is not graded against the
current one; the current question is put again instead.
"""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from app.channels.registry import channels
from app.channels.whatsapp import PREFIX, open_window
from app.channels.whatsapp_content import read_payload
from app.db import locked
from app.learning import texts
from app.learning.inbound import Reply, clean_text, receive_sms
from app.learning.policy import Policy
from app.learning.prompts import Outgoing, pending_prompt, render
from app.models import Inbound, Learner, Outbox, Prompt

SHOWN_PURPOSES = ("prompt", "reminder", "reply")
NOT_SHOWN = ("cancelled", "dead", "failed", "undelivered")


def receive_whatsapp(*, db: Session, sid: str, from_address: str, form, now: datetime, policy: Policy,
                     options, to_number: str | None = None) -> Reply:
    """Store and act on one inbound WhatsApp message; the replies are queued as WhatsApp
    messages (buttons need the API), so ``Reply`` holds only what goes back as TwiML."""
    channel = channels.named("whatsapp")
    sid, phone = clean_text(sid, 64), clean_text(from_address, 40).removeprefix(PREFIX)
    learner = db.exec(locked(select(Learner).where(Learner.phone == phone))).first()
    if learner is None:
        return receive_sms(db=db, sid=sid, from_number=phone, body=channel.answer_text(form), now=now,
                           policy=policy, to_number=to_number, channel=channel.name)
    # Looked for with the learner locked: a retry arriving at the same moment waits for
    # the first delivery's commit, then finds its row here.
    if db.exec(select(Inbound.id).where(Inbound.sid == sid)).first() is not None:
        return Reply([], duplicate=True)  # Twilio retried: everything was done the first time
    open_window(learner, now)
    db.add(learner)

    def send(db_: Session, learner_: Learner, out: Outgoing) -> None:
        channel.compose(db_, learner_, Outgoing(out.body, out.prompt_id, purpose="reply"), now=now, options=options)

    pending = pending_prompt(db, learner.id) if learner.active else None
    tapped = read_payload(form.get("ButtonPayload"))
    if pending is not None and pending.channel == channel.name and not _shown(db, pending):
        _put_again(db, learner, pending, send)  # the reply to an opener: now the question itself
        return _stored(db, sid, phone, to_number, form, learner, pending, now)
    if tapped is not None and (pending is None or tapped[0] != pending.id):
        if pending is not None:  # a stale tap: the question it answered has moved on
            _put_again(db, learner, pending, send)
        else:
            send(db, learner, Outgoing(texts.nothing_pending_text(learner.language)))
        return _stored(db, sid, phone, to_number, form, learner, pending, now)
    reply = receive_sms(db=db, sid=sid, from_number=phone, body=channel.answer_text(form), now=now,
                        policy=policy, to_number=to_number, channel=channel.name, send=send)
    return Reply([], duplicate=reply.duplicate)  # the replies are queued, not in the response


def _shown(db: Session, prompt: Prompt) -> bool:
    """Has the learner seen this prompt's question (not only the template that opens it)?"""
    return db.exec(select(Outbox.id).where(Outbox.prompt_id == prompt.id, Outbox.purpose.in_(SHOWN_PURPOSES),
                                           Outbox.status.not_in(NOT_SHOWN)).limit(1)).first() is not None


def _put_again(db: Session, learner: Learner, prompt: Prompt, send) -> None:
    send(db, learner, Outgoing(render(db, prompt, learner), prompt.id))


def _stored(db: Session, sid: str, phone: str, to_number: str | None, form, learner: Learner,
            prompt: Prompt | None, now: datetime) -> Reply:
    body = clean_text(form.get("ButtonText") or form.get("Body"))
    db.add(Inbound(sid=sid, channel="whatsapp", from_number=phone, to_number=clean_text(to_number, 32) or None,
                   body=body, learner_id=learner.id, prompt_id=prompt.id if prompt else None, reply="",
                   received_at=now))
    db.flush()
    return Reply([])

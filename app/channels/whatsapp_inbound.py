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

from sqlmodel import Session

from app.channels.registry import channels
from app.channels.whatsapp import PREFIX, open_window
from app.channels.whatsapp_content import read_payload
from app.learning import texts
from app.learning.conversation import load, lock_learner
from app.learning.inbound import Reply, answer_loaded, clean_text, receive_sms
from app.learning.policy import Policy
from app.learning.prompts import Outgoing, render
from app.models import Inbound, Learner, Prompt


def receive_whatsapp(*, db: Session, sid: str, from_address: str, form, now: datetime, policy: Policy,
                     options, to_number: str | None = None) -> Reply:
    """Store and act on one inbound WhatsApp message; the replies are queued as WhatsApp
    messages (buttons need the API), so ``Reply`` holds only what goes back as TwiML."""
    channel = channels.named("whatsapp")
    sid, phone = clean_text(sid, 64), clean_text(from_address, 40).removeprefix(PREFIX)
    # The learner locked, then everything the answer needs in one query (``conversation.load``,
    # as for an SMS): whether this MessageSid was already handled, the pending prompt and
    # whether its question was shown or only its template (tests/test_whatsapp_answer_cost.py).
    # A retry arriving at the same moment waits for the first delivery's commit, then finds it.
    known = lock_learner(db, phone)
    talk = load(db, now=now, phone=phone, sid=sid, shown=True) if known is not False else None
    if talk is None:
        return receive_sms(db=db, sid=sid, from_number=phone, body=channel.answer_text(form), now=now,
                           policy=policy, to_number=to_number, channel=channel.name)
    if talk.replayed is not None:
        return Reply([], duplicate=True)  # Twilio retried: everything was done the first time
    learner = talk.learner
    open_window(learner, now)
    db.add(learner)

    def send(db_: Session, learner_: Learner, out: Outgoing) -> None:
        channel.compose(db_, learner_, Outgoing(out.body, out.prompt_id, purpose="reply"), now=now, options=options)

    turn = talk.pending if learner.active else None
    pending = turn.prompt if turn is not None else None
    tapped = read_payload(form.get("ButtonPayload"))
    if pending is not None and pending.channel == channel.name and not turn.shown:
        _put_again(db, learner, pending, send)  # the reply to an opener: now the question itself
        return _stored(db, sid, phone, to_number, form, learner, pending, now)
    if tapped is not None and (pending is None or tapped[0] != pending.id):
        if pending is not None:  # a stale tap: the question it answered has moved on
            _put_again(db, learner, pending, send)
        else:
            send(db, learner, Outgoing(texts.nothing_pending_text(learner.language)))
        return _stored(db, sid, phone, to_number, form, learner, pending, now)
    body = clean_text(channel.answer_text(form))
    # The session's identity map holds rows weakly: the loaded items are kept alive here so
    # that the next question's buttons (``WhatsAppChannel._buttons``) find theirs without a query.
    items = [turn.item for turn in (talk.pending, *talk.queued) if turn is not None]  # noqa: F841
    reply = answer_loaded(db, talk, sid=sid, from_number=phone, to_number=clean_text(to_number, 32) or None,
                          body=body, now=now, policy=policy, channel=channel.name, send=send)
    return Reply([], duplicate=reply.duplicate)  # the replies are queued, not in the response


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

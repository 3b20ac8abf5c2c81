"""Putting a question to a learner: choosing the next prompt, rendering it, marking it pending.

The same functions serve the dispatcher (a new day's review), the reply path (the next
quiz question straight after an answer) and the simulator, so a prompt reads the same
whichever way it reaches the phone.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from app.learning import texts
from app.models import Card, Item, Learner, Module, Prompt, TrainingSession

QUESTION_KINDS = ("question", "review", "practice")
# What marking a session as held queues: asked until answered (or skipped), whatever befalls
# a call or an SMS on the way; a review is only a card falling due, and comes again by itself.
POST_SESSION_KINDS = ("greeting", "question", "rating", "comment")


@dataclass
class Outgoing:
    """One message to a learner; ``prompt_id`` is the prompt it puts to them, if any."""

    body: str
    prompt_id: int | None = None
    purpose: str = "prompt"


def pending_prompt(db: Session, learner_id: int) -> Prompt | None:
    return db.exec(select(Prompt).where(Prompt.learner_id == learner_id,
                                        Prompt.status == "pending")).first()


def module_of(db: Session, prompt: Prompt) -> Module | None:
    if prompt.training_session_id:
        session = db.get(TrainingSession, prompt.training_session_id)
        return db.get(Module, session.module_id)
    if prompt.item_id:
        return db.get(Module, db.get(Item, prompt.item_id).module_id)
    return None


def render(db: Session, prompt: Prompt, learner: Learner) -> str:
    item = db.get(Item, prompt.item_id) if prompt.item_id else None
    number = total = None
    if prompt.kind == "question" and prompt.training_session_id:
        number = prompt.seq
        total = db.exec(select(func.count()).select_from(Prompt).where(
            Prompt.learner_id == learner.id, Prompt.training_session_id == prompt.training_session_id,
            Prompt.kind == "question")).one()
    return texts.prompt_body(prompt, learner=learner, item=item, module=module_of(db, prompt),
                             number=number, total=total)


def mark_sent(db: Session, prompt: Prompt, *, now: datetime, channel: str) -> None:
    """A greeting is closed once sent; anything else now waits for the learner's reply."""
    prompt.status = "sent" if prompt.kind == "greeting" else "pending"
    prompt.sent_at = prompt.sent_at or now
    prompt.last_sent_at = now
    prompt.channel = channel
    if prompt.kind == "greeting":
        prompt.closed_at = now
    db.add(prompt)


def next_queued(db: Session, learner_id: int, now: datetime) -> Prompt | None:
    return db.exec(select(Prompt).where(Prompt.learner_id == learner_id, Prompt.status == "queued",
                                        Prompt.due_at <= now)
                   .order_by(Prompt.due_at, Prompt.training_session_id, Prompt.seq, Prompt.id)).first()


def activate_next_queued(db: Session, learner: Learner, *, now: datetime, channel: str = "sms") -> Outgoing | None:
    """Send-ready text of the learner's next queued prompt; a greeting carries the prompt after it."""
    prompt = next_queued(db, learner.id, now)
    if prompt is None:
        return None
    body = render(db, prompt, learner)
    mark_sent(db, prompt, now=now, channel=channel)
    if prompt.kind != "greeting":
        db.flush()
        return Outgoing(body, prompt.id)
    following = next_queued(db, learner.id, now)
    if following is None:
        return Outgoing(body, None, purpose="notice")
    body = body + "\n\n" + render(db, following, learner)
    mark_sent(db, following, now=now, channel=channel)
    db.flush()
    return Outgoing(body, following.id)


def create_review(db: Session, card: Card, learner: Learner, *, now: datetime, kind: str = "review",
                  channel: str = "sms") -> Outgoing:
    """Put a card's item to the learner again (a due review, or practice on request)."""
    prompt = Prompt(learner_id=learner.id, kind=kind, item_id=card.item_id, due_at=card.due,
                    created_at=now)
    body = render(db, prompt, learner)
    mark_sent(db, prompt, now=now, channel=channel)
    db.flush()  # one INSERT, already pending; the one-pending index checks it here
    return Outgoing(body, prompt.id)


def practice_card(db: Session, learner: Learner) -> Card | None:
    """The card most worth practising now: the one due soonest."""
    return db.exec(select(Card).join(Item, Item.id == Card.item_id)
                   .where(Card.learner_id == learner.id, Item.active)
                   .order_by(Card.due, Card.id)).first()

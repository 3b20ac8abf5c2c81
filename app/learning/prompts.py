"""Putting a question to a learner: choosing the next prompt, rendering it, marking it pending.

The same functions serve the dispatcher (a new day's review), the reply path (the next
quiz question straight after an answer) and the simulator, so a prompt reads the same
whichever way it reaches the phone.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import bindparam, func, text
from sqlmodel import Session, select

from app.db import mark_clean
from app.learning import texts
from app.learning.conversation import Conversation, Turn
from app.learning.prompt_kinds import QUESTION_KINDS, REQUEUED_KINDS  # noqa: F401  (re-exported)
from app.models import Card, Item, Learner, Module, Prompt, TrainingSession
from app.scheduling.wake import prompt_written


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
    total = None
    if prompt.kind == "question" and prompt.training_session_id:
        total = db.exec(select(func.count()).select_from(Prompt).where(
            Prompt.learner_id == learner.id, Prompt.training_session_id == prompt.training_session_id,
            Prompt.kind == "question")).one()
    return render_turn(Turn(prompt, item, module_of(db, prompt), total=total), learner)


def render_turn(turn: Turn, learner: Learner) -> str:
    """``render`` for a prompt read with its item, module and count (``conversation.load``)."""
    prompt = turn.prompt
    numbered = prompt.kind == "question" and prompt.training_session_id
    return texts.prompt_body(prompt, learner=learner, item=turn.item, module=turn.module,
                             number=prompt.seq if numbered else None, total=turn.total if numbered else None)


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


def activate_next(db: Session, talk: Conversation, *, now: datetime, channel: str = "sms",
                  after: Prompt | None = None) -> Outgoing | None:
    """``activate_next_queued`` on what ``talk`` already holds: no query, and nothing written
    yet. ``after`` is the prompt this reply just closed: it and the prompts put now are
    written together, in that order (``save_in_order``), when the caller flushes."""
    turn = talk.next_queued()
    if turn is None:
        if after is not None:
            db.add(after)
        return None
    learner = talk.learner
    body = render_turn(turn, learner)
    mark_sent(db, turn.prompt, now=now, channel=channel)
    changed = [after] if after is not None else []
    if turn.prompt.kind != "greeting":
        save_in_order(db, [*changed, turn.prompt])
        talk.put = turn.prompt
        return Outgoing(body, turn.prompt.id)
    following = talk.next_queued()
    if following is None:
        save_in_order(db, [*changed, turn.prompt])
        return Outgoing(body, None, purpose="notice")
    body = body + "\n\n" + render_turn(following, learner)
    mark_sent(db, following.prompt, now=now, channel=channel)
    save_in_order(db, [*changed, turn.prompt, following.prompt])
    talk.put = following.prompt
    return Outgoing(body, following.prompt.id)


def save_in_order(db: Session, prompts: list[Prompt]) -> None:
    """Write changed prompts in one statement, in the order given.

    One prompt is closed and the next put in the same reply, and at most one may be
    pending (``uq_prompt_one_pending_per_learner``, checked row by row): the closing one
    must be written first. A flush writes a table's rows in primary-key order and an
    UPDATE of several rows in no promised order, so the rows go as an INSERT .. ON
    CONFLICT (id) DO UPDATE, whose rows are written in the order of its VALUES.
    """
    if len(prompts) < 2:
        for prompt in prompts:
            db.add(prompt)
        return
    columns = Prompt.__table__.columns
    params = {f"{c.key}_{n}": getattr(p, c.key) for n, p in enumerate(prompts) for c in columns}
    with db.no_autoflush:  # a flush now would write them the other way, one by one
        db.exec(_upsert_in_order(len(prompts)), params=params)
    for prompt in prompts:  # the rows now hold what the objects say: nothing left to flush
        mark_clean(prompt)
        prompt_written(db, prompt)  # unseen by the session hook, which watches flushes


@lru_cache(maxsize=8)
def _upsert_in_order(rows: int):
    """``save_in_order``'s statement for ``rows`` prompts: the same text in PostgreSQL and
    SQLite, built (and compiled, as text is cached) once."""
    columns = list(Prompt.__table__.columns)
    names = ", ".join(c.name for c in columns)
    values = ", ".join("(" + ", ".join(f":{c.key}_{n}" for c in columns) + ")" for n in range(rows))
    updates = ", ".join(f"{c.name} = excluded.{c.name}" for c in columns if not c.primary_key)
    sql = f"INSERT INTO prompt ({names}) VALUES {values} ON CONFLICT (id) DO UPDATE SET {updates}"
    return text(sql).bindparams(*[bindparam(f"{c.key}_{n}", type_=c.type) for n in range(rows) for c in columns])


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


def put_back(db: Session, prompt: Prompt, *, now: datetime) -> None:
    """Put an unanswered prompt back: a session's question (or a check-in) comes again, a
    review's card stays due."""
    if prompt.status not in ("pending", "queued"):
        return
    if prompt.kind in REQUEUED_KINDS:
        prompt.status, prompt.sent_at = "queued", None
    else:
        prompt.status, prompt.closed_at = "expired", now
    db.add(prompt)
    db.flush()

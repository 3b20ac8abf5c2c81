"""What answering one reply needs, read in one statement.

A reply is graded against the learner's pending prompt, its item and the learner's card
for it, and is answered with the queued prompt that comes next (a greeting brings the
question after it), each rendered with its module and its "Q2/3" count. Read one row at a
time that was a dozen round trips per answer (docs/performance.md); ``load`` reads all
of it with one joined query, and the engine then works on what it holds.

The query must run once the learner's row is locked (``lock_learner``) and no earlier: on
PostgreSQL a statement sees the rows committed when it began, so a reply that waited for
the lock behind another reply of the same learner must read the prompts only after that
one committed, or it would grade the question the other one already answered. On SQLite
the transaction's ``BEGIN IMMEDIATE`` is the lock, taken before the first statement, so
the same query also finds the learner (one statement fewer).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from sqlalchemy import and_, bindparam, case, func, null, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from app.db import is_postgres, locked
from app.models import (
    Card,
    Inbound,
    Item,
    Learner,
    Module,
    Outbox,
    Pack,
    Prompt,
    Site,
    TrainingSession,
)

# Queued prompts read ahead of the pending one: the next, and the one a greeting carries.
QUEUED_AHEAD = 2


@dataclass
class Turn:
    """A prompt with everything needed to render and grade it."""

    prompt: Prompt
    item: Item | None
    module: Module | None
    total: int | None = None  # the questions of its session, for "Q2/3" (questions only)
    card: Card | None = None  # the learner's card for the item, if there is one yet
    memory: list | None = None  # the pack's fitted FSRS weights (Pack.memory_parameters), if any
    # With ``load(shown=True)``: whether the prompt's own text went out (a WhatsApp template
    # opening the conversation does not show the question).
    shown: bool | None = None


@dataclass
class Conversation:
    """One learner's open prompts as they stood once the learner was locked."""

    learner: Learner
    pending: Turn | None = None
    # Queued prompts already due, in the order they go out (``prompts.next_queued``'s order).
    queued: list[Turn] = field(default_factory=list)
    # Set when this MessageSid was already answered: the reply stored then ("" for none).
    replayed: str | None = None
    # The prompt the reply put to the learner in place of the pending one, if any.
    put: Prompt | None = None
    # The learner's site, read with the rest (how a reply may travel: ``Channel.reply_sender``).
    site: Site | None = None

    def next_queued(self) -> Turn | None:
        """The next queued prompt to put to the learner, taken off the list."""
        return self.queued.pop(0) if self.queued else None

    @property
    def freed(self) -> bool:
        """The reply closed the pending prompt and put no other: nothing awaits the learner's
        answer now, so the dispatcher may plan their next due card."""
        closed = self.pending is not None and self.pending.prompt.status != "pending"
        return closed and (self.put is None or self.put.status != "pending")


def lock_learner(db: Session, phone: str) -> bool | None:
    """Lock the learner with this number, if the database locks rows (PostgreSQL).

    One reply at a time per learner: two texts sent a moment apart may reach two web
    workers at once, and each would grade the same pending question; the lock also keeps
    the planner (which skips locked learners) from putting a new prompt in meanwhile.
    Returns whether the number is a learner's, or None when ``load`` will tell (SQLite).
    """
    if not is_postgres(db):
        return None
    return db.exec(_lock_query(), params={"phone": phone}).first() is not None


def load(db: Session, *, now: datetime, phone: str | None = None, learner: Learner | None = None,
         sid: str | None = None, shown: bool = False) -> Conversation | None:
    """The learner's pending prompt and the queued ones due next, with their items, modules,
    counts and cards, in one query; by ``phone`` (the learner is read too; None if no
    learner has it) or for ``learner``. ``sid``: also look whether that inbound message
    was already answered; ``shown``: also whether each prompt's text went out (``Turn.shown``).
    Call it with the learner locked (``lock_learner``)."""
    params = {"now": now, "sid": sid}
    params.update({"phone": phone} if learner is None else {"learner_id": learner.id})
    rows = db.exec(_load_query(by_phone=learner is None, with_sid=sid is not None, with_shown=shown),
                   params=params).all()
    if not rows:
        return None
    first = 1 if learner is None else 0
    talk = Conversation(learner=rows[0][0] if learner is None else learner, replayed=rows[0][-1],
                        site=rows[0][first])
    first += 1
    for row in rows:
        prompt, item, module, card, count, memory = row[first:first + 6]
        if prompt is None:
            continue
        turn = Turn(prompt, item, module, total=count, card=card, memory=memory,
                    shown=bool(row[first + 6]) if shown else None)
        if prompt.status == "pending":
            talk.pending = turn
        else:
            talk.queued.append(turn)
    return talk


@cache
def _lock_query():
    return locked(select(Learner.id).where(Learner.phone == bindparam("phone")))


# What shows a prompt's own text (a WhatsApp opener template does not), and what never reached the learner.
SHOWN_PURPOSES = ("prompt", "reminder", "reply")
NOT_SHOWN = ("cancelled", "dead", "failed", "undelivered")


def _shown():
    return (select(Outbox.id).where(Outbox.prompt_id == Prompt.id, Outbox.purpose.in_(SHOWN_PURPOSES),
                                    Outbox.status.not_in(NOT_SHOWN))
            .correlate(Prompt).exists())


@cache
def _load_query(*, by_phone: bool, with_sid: bool, with_shown: bool = False):
    """Built once per shape (building it, aliases and all, cost more than running it)."""
    others = aliased(Prompt)
    session = aliased(TrainingSession)
    total = (select(func.count()).select_from(others)
             .where(others.learner_id == Prompt.learner_id, others.kind == "question",
                    others.training_session_id == Prompt.training_session_id)
             .correlate(Prompt).scalar_subquery())
    replayed = (select(func.coalesce(Inbound.reply, "")).where(Inbound.sid == bindparam("sid")).scalar_subquery()
                if with_sid else null())
    # Spelled for the (learner_id, status) index: the learner's open prompts, then the due ones.
    is_open = and_(Prompt.status.in_(("pending", "queued")),
                   or_(Prompt.status == "pending", Prompt.due_at <= bindparam("now")))
    columns = [Site, Prompt, Item, Module, Card, case((Prompt.kind == "question", total)), Pack.memory_parameters,
               *([_shown()] if with_shown else []), replayed]
    query = select(Learner, *columns) if by_phone else select(*columns).select_from(Learner)
    return (query
            .outerjoin(Site, Site.id == Learner.site_id)
            .outerjoin(Prompt, and_(Prompt.learner_id == Learner.id, is_open))
            .outerjoin(Item, Item.id == Prompt.item_id)
            .outerjoin(session, session.id == Prompt.training_session_id)
            .outerjoin(Module, Module.id == func.coalesce(session.module_id, Item.module_id))
            .outerjoin(Pack, Pack.id == Module.pack_id)
            .outerjoin(Card, and_(Card.learner_id == Learner.id, Card.item_id == Prompt.item_id))
            .where(Learner.phone == bindparam("phone") if by_phone else Learner.id == bindparam("learner_id"))
            .order_by(case((Prompt.status == "pending", 0), else_=1), Prompt.due_at,
                      Prompt.training_session_id, Prompt.seq, Prompt.id)
            .limit(1 + QUEUED_AHEAD)
            # Rows the session already holds are read afresh: another worker may have moved them.
            .execution_options(populate_existing=True))

"""Marking a classroom session as held, which queues the post-session sequence.

For every active learner of the cohort: a greeting, the module's questions one at a time,
a 1-5 usefulness rating and an optional comment, in that order. The dispatcher sends the
first when the learner's send window allows; each reply brings the next.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from app.models import Cohort, Item, Learner, Module, Prompt, TrainingSession


class SessionError(ValueError):
    """The session cannot be recorded; the message is for the trainer."""


@dataclass
class CompletedSession:
    session: TrainingSession
    learners_queued: int


def complete_session(*, db: Session, cohort: Cohort, module: Module, held_at: datetime,
                     now: datetime, created_by: int | None = None) -> CompletedSession:
    if not module.active:
        raise SessionError(f"module {module.key} has been retired")
    if held_at > now:
        raise SessionError("a session cannot be marked as held in the future")
    duplicate = db.exec(select(TrainingSession).where(
        TrainingSession.cohort_id == cohort.id, TrainingSession.module_id == module.id,
        TrainingSession.held_at == held_at)).first()
    if duplicate:
        raise SessionError(f"{cohort.name} already has {module.key} recorded at this time")
    items = active_items(db, module)
    if not items:
        raise SessionError(f"module {module.key} has no questions")
    session = TrainingSession(cohort_id=cohort.id, module_id=module.id, held_at=held_at,
                              created_by=created_by, created_at=now)
    db.add(session)
    db.flush()
    learners = db.exec(select(Learner).where(Learner.cohort_id == cohort.id,
                                             Learner.status == "active")).all()
    for learner in learners:
        queue_sequence(db, learner, session, items, now=now)
    db.flush()
    return CompletedSession(session=session, learners_queued=len(learners))


def active_items(db: Session, module: Module) -> list[Item]:
    return list(db.exec(select(Item).where(Item.module_id == module.id, Item.active)
                        .order_by(Item.position, Item.id)).all())


def queue_sequence(db: Session, learner: Learner, session: TrainingSession, items: list[Item], *,
                   now: datetime) -> None:
    """The post-session sequence for one learner, due now, and the planner told to look."""
    steps = [("greeting", None)] + [("question", item.id) for item in items] + [("rating", None), ("comment", None)]
    for seq, (kind, item_id) in enumerate(steps):
        db.add(Prompt(learner_id=learner.id, kind=kind, item_id=item_id,
                      training_session_id=session.id, seq=seq, due_at=now, created_at=now))
    learner.next_contact_at = None  # look at this learner on the next tick
    db.add(learner)


def queue_held_sessions(db: Session, *, learner: Learner, now: datetime, within: timedelta) -> list[TrainingSession]:
    """Catch a late joiner up: the sessions their cohort held in the last ``within``.

    A learner added to a cohort (or moved into it, or back from a pause) after a session
    was held gets that session's quiz and feedback question, as if they had been there.
    A session the learner already has prompts for is never queued again, whichever way
    it came (held with them, an earlier catch-up, a previous cohort's copy of it).
    Returns the sessions queued, oldest first.
    """
    if not learner.active or learner.cohort_id is None or within <= timedelta(0):
        return []
    held = db.exec(select(TrainingSession).where(
        TrainingSession.cohort_id == learner.cohort_id, TrainingSession.held_at >= now - within,
        TrainingSession.held_at <= now).order_by(TrainingSession.held_at, TrainingSession.id)).all()
    if not held:
        return []
    had = set(db.exec(select(Prompt.training_session_id).where(
        Prompt.learner_id == learner.id, Prompt.training_session_id.in_([s.id for s in held]))).all())
    queued = []
    for session in held:
        if session.id in had:
            continue
        module = db.get(Module, session.module_id)
        items = active_items(db, module) if module is not None and module.active else []
        if items:
            queue_sequence(db, learner, session, items, now=now)
            queued.append(session)
    db.flush()
    return queued

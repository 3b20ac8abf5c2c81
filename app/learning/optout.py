"""STOP and START: an opted-out learner hears nothing, and comes back where they left off.

STOP must work at once and completely (it is the law, and the learner's money), but it
should not cost them the quiz they were in the middle of. So STOP *pauses* the learner's
post-session sequence instead of throwing it away: the greeting, questions, rating and
comment not yet answered (the one awaiting a reply among them) wait as ``paused``
prompts, which nothing sends. A review or practice question is simply cancelled: its card
keeps its due date, so the review comes back by itself. Unsent messages and planned or
running calls end now.

START puts the paused prompts back in the queue. The ordinary dispatcher then sends them,
inside the learner's send window and under the daily cap, one at a time as before; what
was answered before STOP is never asked again.
"""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from app.channels.registry import channels
from app.db import locked
from app.learning.prompt_kinds import REQUEUED_KINDS
from app.models import Learner, Outbox, Prompt


def opt_out(db: Session, learner: Learner, *, now: datetime, reason: str) -> None:
    """Stop everything at once: calls end, unsent messages are cancelled, the quiz pauses."""
    learner.status, learner.status_reason, learner.opted_out_at = "opted_out", reason, now
    learner.updated_at = now
    db.add(learner)
    for channel in channels.all():  # a call under way ends; its unanswered prompts go back first
        channel.stop(db, learner, now=now)
    pause_open_prompts(db, learner.id, now=now)
    # Locked as they are read: a worker that claimed one between this read and the write
    # below would have it marked cancelled and send it all the same. Now the worker either
    # claimed it first (it is no longer "queued" here) or skips it.
    for row in db.exec(locked(select(Outbox).where(Outbox.learner_id == learner.id,
                                                   Outbox.status == "queued"))).all():
        row.status, row.updated_at = "cancelled", now
        db.add(row)
    db.flush()


def opt_in(db: Session, learner: Learner, *, now: datetime) -> int:
    """START: active again, and the paused quiz back in the queue. Returns how many prompts."""
    learner.status, learner.status_reason, learner.opted_out_at = "active", None, None
    learner.updated_at, learner.next_contact_at = now, None
    db.add(learner)
    resumed = resume_paused_prompts(db, learner.id)
    db.flush()
    return resumed


def pause_open_prompts(db: Session, learner_id: int, *, now: datetime) -> int:
    """Park the unanswered post-session prompts; cancel an open review (its card stays due)."""
    prompts = db.exec(locked(select(Prompt).where(Prompt.learner_id == learner_id,
                                                  Prompt.status.in_(("queued", "pending"))))).all()
    for prompt in prompts:
        if prompt.kind in REQUEUED_KINDS:
            prompt.status = "paused"
        else:
            prompt.status, prompt.closed_at = "cancelled", now
        db.add(prompt)
    db.flush()
    return len(prompts)


def resume_paused_prompts(db: Session, learner_id: int) -> int:
    """Queue the paused prompts again, as never sent: a question pending at STOP is asked
    afresh (with its own reminder), in its old place in the sequence."""
    prompts = db.exec(select(Prompt).where(Prompt.learner_id == learner_id, Prompt.status == "paused")).all()
    for prompt in prompts:
        prompt.status, prompt.sent_at, prompt.reminders_sent = "queued", None, 0
        db.add(prompt)
    db.flush()
    return len(prompts)

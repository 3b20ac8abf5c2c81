"""Outbox rows as every channel writes and finds them.

A row is written before any API call (``queued_message``), and found afresh, locked,
when the provider reports on it (``locked_row``). Here rather than in scheduling so that
a channel's status handling and the dispatcher depend on it, not on each other.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlmodel import Session, select

from app.db import locked
from app.learning.prompts import Outgoing
from app.messaging.segments import count_segments
from app.models import Learner, Outbox

BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 3600


def queued_message(learner, out: Outgoing, *, now: datetime, kind: str = "sms", info=None) -> dict:
    """An outbox row's values for ``out``, queued now (the bulk path inserts these as they are)."""
    info = info or count_segments(out.body)
    return {"learner_id": learner.id, "prompt_id": out.prompt_id, "kind": kind, "purpose": out.purpose,
            "to_number": learner.phone, "body": out.body, "encoding": info.encoding, "segments": info.segments,
            "status": "queued", "attempts": 0, "uncertain": False, "next_attempt_at": now, "created_at": now,
            "updated_at": now}


def write_outbox(db: Session, learner: Learner, out: Outgoing, *, now: datetime, kind: str = "sms") -> Outbox:
    row = Outbox(**queued_message(learner, out, now=now, kind=kind))
    db.add(row)
    return row


def locked_row(db: Session, sid: str) -> Outbox | None:
    """The row a callback reports on, locked and read afresh.

    Two callbacks for one message (a pass applying a late "sent", the webhook applying
    "delivered") each read the status, then write theirs. Without the lock the slower
    write wins, whatever it says: "delivered" was seen overwritten by "sent".
    """
    return db.exec(locked(select(Outbox).where(Outbox.sid == sid))).first()


def backoff(attempts: int, rng: random.Random = random) -> timedelta:
    """Exponential backoff with full jitter: 30 s, 60 s, 120 s ... capped at an hour."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=ceiling / 2 + rng.uniform(0, ceiling / 2))

"""The life of a text message after it left: statuses, retries, and giving up.

Shared by the text channels (SMS, WhatsApp): a status moves a row forward, never back;
an undelivered prompt is queued once more with backoff, or handed to the channel's
``give_up`` (another channel, or the prompt comes again later); a carrier's opt-out or
an unreachable number flags the learner.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from app.channels.outbox import backoff
from app.learning.prompt_kinds import requeued
from app.models import Learner, Outbox, Prompt
from app.observability import metrics

# Twilio statuses in the order they can follow each other; a late callback never moves back.
STATUS_RANK = {"queued": 0, "accepted": 0, "sending": 1, "sent": 2, "receiving": 2,
               "undelivered": 3, "failed": 3, "delivered": 4, "read": 5}
FAILED = ("undelivered", "failed")
PROMPTING = ("prompt", "reminder", "opener")  # rows that put a question: retried, carried elsewhere
UNREACHABLE_CODES = {30005, 30006, 21211, 21614}
OPT_OUT_CODES = {21610, 30004}


def flag_learner(db: Session, learner: Learner, verdict: str, code: int | None, *, now: datetime) -> None:
    from app.learning.engine import opt_out

    if verdict == "opted_out":
        opt_out(db, learner, now=now, reason=f"carrier reports opt-out (Twilio {code})")
    else:
        opt_out(db, learner, now=now, reason=f"unreachable number (Twilio {code})")
        learner.status = "invalid"
        db.add(learner)


def release_prompt(db: Session, row: Outbox, *, now: datetime) -> None:
    """The learner never got this prompt: free them, and let the prompt come again later."""
    if not row.prompt_id:
        return
    prompt = db.get(Prompt, row.prompt_id)
    if prompt is None or prompt.status != "pending":
        return
    if requeued(prompt.kind):
        prompt.status, prompt.sent_at, prompt.due_at = "queued", None, now + timedelta(hours=6)
    else:
        prompt.status, prompt.closed_at = "expired", now  # the card stays due
    db.add(prompt)


def prompt_open(db: Session, row: Outbox) -> bool:
    """Still waiting for an answer? A late "undelivered" for a prompt the learner has since
    answered is a carrier's mistake: sending the question again would ask it twice."""
    if not row.prompt_id:
        return True
    prompt = db.get(Prompt, row.prompt_id)
    return prompt is not None and prompt.status == "pending"


def apply_status(db: Session, row: Outbox, status: str, error_code: int | None, *, now: datetime, options,
                 max_attempts: int, give_up) -> None:
    """Move a row forward to a reported status; a failed prompt is queued once more, or
    ``give_up(db, row, now=, options=)`` once it has had its attempts."""
    current = STATUS_RANK.get(row.status, 0)
    if row.status in ("dead", "cancelled", "replied") or STATUS_RANK.get(status, -1) <= current:
        return
    row.status, row.updated_at = status, now
    if error_code:
        row.error_code = error_code
    db.add(row)
    if status not in FAILED:
        return
    metrics.failed(row.kind, row.purpose, status)
    learner = db.get(Learner, row.learner_id) if row.learner_id else None
    if learner is not None and error_code in OPT_OUT_CODES | UNREACHABLE_CODES:
        flag_learner(db, learner, "opted_out" if error_code in OPT_OUT_CODES else "invalid_number",
                     error_code, now=now)
        return
    if (row.purpose in PROMPTING and row.attempts < max_attempts and learner and learner.active
            and prompt_open(db, row)):
        metrics.retried(row.kind, row.purpose)
        db.add(again(row, now=now))
    else:
        give_up(db, row, now=now, options=options)


def again(row: Outbox, *, now: datetime, **changes) -> Outbox:
    """A fresh queued row sending what ``row`` sent (after backoff), with ``changes``."""
    values = {"learner_id": row.learner_id, "prompt_id": row.prompt_id, "kind": row.kind,
              "purpose": row.purpose, "to_number": row.to_number, "body": row.body, "encoding": row.encoding,
              "segments": row.segments, "status": "queued", "attempts": row.attempts,
              "next_attempt_at": now + backoff(row.attempts), "created_at": now, "updated_at": now}
    values.update(changes)
    return Outbox(**values)

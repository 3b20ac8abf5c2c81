"""Planning for one learner at a time, through the ORM: the careful path.

The planner (``planner.py``) decides most learners in bulk: a review card due, by SMS,
inside the window and under the cap. Everything rarer goes through these steps, one
locked learner in a savepoint each: a post-session sequence (a greeting carries the
question after it), a call for a voice learner, a reminder or an expiry, and any learner
whose bulk write was refused. They are also what the simulator and the tests exercise
one learner at a time.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.bulk import per_key
from app.learning.policy import Policy
from app.learning.prompts import Outgoing, activate_next_queued, create_review
from app.learning.texts import reminder_text
from app.messaging.segments import count_segments
from app.models import Card, Item, Learner, Outbox, Prompt, Site
from app.observability import metrics
from app.scheduling.window import in_window, local_day_start, next_window_start
from app.voice.calls import expire_stale, plan_call
from app.voice.settings import VoiceOptions

log = logging.getLogger(__name__)
CAPPED_PURPOSES = ("prompt", "reminder")
# A learner whose planning raised is looked at again after this, not on every tick: one
# broken record must neither stop the pass for the others nor fill the log.
FAILED_LEARNER_RETRY = timedelta(minutes=15)


@dataclass
class PlanStats:
    claimed: int = 0  # due learners looked at (a pass that claims its whole batch leaves more)
    planned: int = 0
    reminded: int = 0
    expired: int = 0
    outside_window: int = 0
    over_cap: int = 0
    contended: int = 0
    plan_errors: int = 0  # learners whose planning raised: logged by id, looked at again later
    skipped: bool = False  # the database refused the whole planning step


def sent_since(db: Session, learner_ids: list[int], since: datetime) -> dict[int, int]:
    """Capped messages per learner since ``since`` (one query for a whole chunk)."""
    return dict(per_key(db, learner_ids, Outbox.learner_id, (), count=True, where=(
        Outbox.purpose.in_(CAPPED_PURPOSES), Outbox.created_at >= since, Outbox.status != "cancelled")))


def over_cap(db: Session, learner, site: Site, now: datetime, cap: int, last_24h: int | None = None) -> bool:
    """Whether the learner had ``cap`` capped messages since their local midnight.

    ``last_24h`` (counted for the whole chunk in one query) is an upper bound: below the
    cap it settles the question without a query; only a learner at or over it is counted
    exactly.
    """
    if last_24h is not None and last_24h < cap:
        return False
    start = local_day_start(now, learner, site)
    return sent_since(db, [learner.id], start).get(learner.id, 0) >= cap


def _may_send(db, learner: Learner, site: Site, now: datetime, policy: Policy, stats: PlanStats,
              last_24h: int | None = None) -> bool:
    if not in_window(now, learner, site):
        learner.next_contact_at = next_window_start(now, learner, site)
        stats.outside_window += 1
        return False
    if over_cap(db, learner, site, now, site.daily_cap or policy.daily_cap, last_24h):
        learner.next_contact_at = next_window_start(now, learner, site)
        stats.over_cap += 1
        return False
    return True


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


def plan_learner(db: Session, learner: Learner, *, now: datetime, policy: Policy, voice: VoiceOptions,
                 stats: PlanStats, last_24h: int | None = None) -> Outbox | None:
    """The next message for one locked learner, or None (and when to look again)."""
    site = db.get(Site, learner.site_id)
    # No re-check for a pending prompt: candidates had none, the row lock keeps other workers
    # out, and the one-pending index refuses the rare plan that raced a commit.
    if not _may_send(db, learner, site, now, policy, stats, last_24h):
        return None
    if learner.channel == "voice":  # a call instead of a text (app/voice/calls.py)
        return plan_call(db, learner, now=now, policy=policy, options=voice, stats=stats)
    out = activate_next_queued(db, learner, now=now)
    if out is None:
        card = db.exec(select(Card).join(Item, Item.id == Card.item_id)
                       .where(Card.learner_id == learner.id, Card.due <= now, Item.active)
                       .order_by(Card.due, Card.id)).first()
        if card is None:
            learner.next_contact_at = None
            return None
        out = create_review(db, card, learner, now=now)
    stats.planned += 1
    return write_outbox(db, learner, out, now=now)


def remind_or_expire(db: Session, prompt: Prompt, learner: Learner, *, now: datetime, policy: Policy,
                     stats: PlanStats, last_24h: int | None = None) -> Outbox | None:
    """One reminder (bounded, inside the window, under the cap); later, expiry without penalty."""
    if prompt.channel == "voice":  # put by a call: no SMS reminder (app/voice/calls.py)
        return expire_stale(db, prompt, learner, now=now, policy=policy, stats=stats)
    site = db.get(Site, learner.site_id)
    if prompt.reminders_sent < policy.reminders:
        if not _may_send(db, learner, site, now, policy, stats, last_24h):
            return None
        from app.learning.prompts import render

        prompt.reminders_sent += 1
        prompt.last_sent_at = now
        db.add(prompt)
        stats.reminded += 1
        body = reminder_text(learner.language, render(db, prompt, learner))
        return write_outbox(db, learner, Outgoing(body, prompt.id, purpose="reminder"), now=now)
    if prompt.last_sent_at <= now - policy.prompt_expiry:
        prompt.status, prompt.closed_at = "expired", now
        db.add(prompt)
        # The learner is not answering today; try again at the next window, not at once.
        learner.next_contact_at = next_window_start(now + timedelta(minutes=1), learner, site)
        stats.expired += 1
    return None


def isolated(db: Session, learner: Learner, step, *, now: datetime, stats: PlanStats, stage: str) -> None:
    """Run ``step()`` for one locked learner in a savepoint, so that whatever it raises undoes
    only that learner's changes: it is logged by id (never the phone number), counted, and
    the learner is looked at again later; the rest of the chunk goes on."""
    try:
        with db.begin_nested():
            step()
            db.add(learner)
    except IntegrityError:
        stats.contended += 1  # another worker put a prompt to this learner first
    except Exception:
        log.exception("planning failed for learner %s", learner.id, extra={"learner_id": learner.id})
        stats.plan_errors += 1
        metrics.learner_failed(stage)
        with db.begin_nested():
            learner.next_contact_at = now + FAILED_LEARNER_RETRY
            db.add(learner)



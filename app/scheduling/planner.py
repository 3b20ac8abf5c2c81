"""Deciding what each learner gets next, and writing it to the outbox.

Work is found from the due side (queued prompts and FSRS cards whose time has come), so
a pass costs in proportion to the work due, not to the number of learners. Each chunk of
learners is locked (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) before anything is planned
for them, and the one-pending-prompt index is the last guard: two workers never put two
questions to the same phone.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import exists, func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

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
    planned: int = 0
    reminded: int = 0
    expired: int = 0
    outside_window: int = 0
    over_cap: int = 0
    contended: int = 0
    plan_errors: int = 0  # learners whose planning raised: logged by id, looked at again later
    skipped: bool = False  # the database refused the whole planning step


def _ready(now: datetime):
    return or_(Learner.next_contact_at.is_(None), Learner.next_contact_at <= now)


CHUNK_IDS = 900  # bound parameters per IN (...) list


def _ready_learners(db: Session, ids: list[int], *, now: datetime, limit: int, idle_only: bool) -> list[int]:
    """Of ``ids`` (in order), the first ``limit`` learners that are active and may be contacted now."""
    found: list[int] = []
    for start in range(0, len(ids), CHUNK_IDS):
        part = ids[start:start + CHUNK_IDS]
        query = select(Learner.id).where(Learner.id.in_(part), Learner.status == "active", _ready(now))
        if idle_only:
            query = query.where(~exists().where(Prompt.learner_id == Learner.id, Prompt.status == "pending"))
        ok = set(db.exec(query).all())
        found.extend(i for i in part if i in ok)
        if len(found) >= limit:
            return found[:limit]
    return found


def candidate_learners(db: Session, *, now: datetime, limit: int) -> list[int]:
    """Active, reachable-now learners with nothing pending and something due.

    Found in two steps so a pass costs what is due, never a walk over every learner: the
    due side first (prompt and card indexes, most overdue first), then those learners by id.
    """
    queued = db.exec(select(Prompt.learner_id, Prompt.due_at)
                     .where(Prompt.status == "queued", Prompt.due_at <= now)).all()
    retired = set(db.exec(select(Item.id).where(Item.active.is_(False))).all())
    cards = [(learner_id, due) for learner_id, due, item_id
             in db.exec(select(Card.learner_id, Card.due, Card.item_id).where(Card.due <= now)).all()
             if item_id not in retired]
    first_due: dict[int, datetime] = {}
    for learner_id, due in [*queued, *cards]:
        if learner_id not in first_due or due < first_due[learner_id]:
            first_due[learner_id] = due
    ordered = sorted(first_due, key=first_due.__getitem__)
    return _ready_learners(db, ordered, now=now, limit=limit, idle_only=True)


def stale_pending(db: Session, *, now: datetime, policy: Policy, limit: int) -> list[int]:
    """Pending prompts old enough for a reminder or for expiry, oldest first."""
    rows = db.exec(select(Prompt.id, Prompt.learner_id)
                   .where(Prompt.status == "pending", Prompt.last_sent_at <= now - policy.reminder_after)
                   .order_by(Prompt.last_sent_at)).all()
    ready = set(_ready_learners(db, [learner_id for _, learner_id in rows], now=now, limit=len(rows),
                                idle_only=False))
    return [prompt_id for prompt_id, learner_id in rows if learner_id in ready][:limit]


def lock_learners(db: Session, ids: list[int]) -> list[Learner]:
    if not ids:
        return []
    return list(db.exec(select(Learner).where(Learner.id.in_(ids)).order_by(Learner.id)
                        .with_for_update(skip_locked=True)).all())


def sent_since(db: Session, learner_ids: list[int], since: datetime) -> dict[int, int]:
    """Capped messages per learner since ``since`` (one query for a whole chunk)."""
    rows = db.exec(select(Outbox.learner_id, func.count(Outbox.id)).where(
        Outbox.learner_id.in_(learner_ids), Outbox.purpose.in_(CAPPED_PURPOSES),
        Outbox.created_at >= since, Outbox.status != "cancelled").group_by(Outbox.learner_id)).all()
    return dict(rows)


def over_cap(db: Session, learner: Learner, site: Site, now: datetime, cap: int) -> bool:
    """Whether the learner had ``cap`` capped messages since their local midnight.

    The chunk's 24-hour counts (``prefetch_sent_today``) are an upper bound: below the cap
    they settle it without a query; only a learner at or over it is counted exactly.
    """
    prefetched = db.info.get("saathi.sent_24h", {})
    if prefetched.get(learner.id, cap) < cap:
        return False
    start = local_day_start(now, learner, site)
    return sent_since(db, [learner.id], start).get(learner.id, 0) >= cap


def prefetch_sent_today(db: Session, learners: list[Learner], now: datetime) -> None:
    """Count a chunk's messages of the last 24 h in one query; ``sent_today`` narrows per learner."""
    counts = sent_since(db, [l.id for l in learners], now - timedelta(hours=24))
    db.info["saathi.sent_24h"] = {l.id: counts.get(l.id, 0) for l in learners}


def _may_send(db, learner: Learner, site: Site, now: datetime, policy: Policy, stats: PlanStats) -> bool:
    if not in_window(now, learner, site):
        learner.next_contact_at = next_window_start(now, learner, site)
        stats.outside_window += 1
        return False
    if over_cap(db, learner, site, now, site.daily_cap or policy.daily_cap):
        learner.next_contact_at = next_window_start(now, learner, site)
        stats.over_cap += 1
        return False
    return True


def write_outbox(db: Session, learner: Learner, out: Outgoing, *, now: datetime, kind: str = "sms") -> Outbox:
    info = count_segments(out.body)
    row = Outbox(learner_id=learner.id, prompt_id=out.prompt_id, kind=kind, purpose=out.purpose,
                 to_number=learner.phone, body=out.body, encoding=info.encoding, segments=info.segments,
                 status="queued", next_attempt_at=now, created_at=now, updated_at=now)
    db.add(row)
    return row


def plan_learner(db: Session, learner: Learner, *, now: datetime, policy: Policy, voice: VoiceOptions,
                 stats: PlanStats) -> Outbox | None:
    """The next message for one locked learner, or None (and when to look again)."""
    site = db.get(Site, learner.site_id)
    # No re-check for a pending prompt: candidates had none, the row lock keeps other workers
    # out, and the one-pending index refuses the rare plan that raced a commit.
    if not _may_send(db, learner, site, now, policy, stats):
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
                     stats: PlanStats) -> Outbox | None:
    """One reminder (bounded, inside the window, under the cap); later, expiry without penalty."""
    if prompt.channel == "voice":  # put by a call: no SMS reminder (app/voice/calls.py)
        return expire_stale(db, prompt, learner, now=now, policy=policy, stats=stats)
    site = db.get(Site, learner.site_id)
    if prompt.reminders_sent < policy.reminders:
        if not _may_send(db, learner, site, now, policy, stats):
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


def _isolated(db: Session, learner: Learner, step, *, now: datetime, stats: PlanStats, stage: str) -> None:
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


def plan(db_factory, *, now: datetime, policy: Policy, voice: VoiceOptions, batch: int = 500,
         chunk: int = 100) -> PlanStats:
    """One planning pass: reminders and expiries first, then new prompts.

    Everything it needs comes in as arguments (``voice`` for calls, ``policy`` for texts):
    a pass runs on the worker's scheduler thread, where there is no app context.
    """
    stats = PlanStats()
    with db_factory() as db:
        stale = stale_pending(db, now=now, policy=policy, limit=batch)
    for start in range(0, len(stale), chunk):
        with db_factory() as db:
            prompts = db.exec(select(Prompt).where(Prompt.id.in_(stale[start:start + chunk]))).all()
            locked = {l.id: l for l in lock_learners(db, sorted({p.learner_id for p in prompts}))}
            prefetch_sent_today(db, list(locked.values()), now)
            for prompt in prompts:
                learner = locked.get(prompt.learner_id)
                if learner is None or prompt.status != "pending":
                    stats.contended += learner is None
                    continue
                step = partial(remind_or_expire, db, prompt, learner, now=now, policy=policy, stats=stats)
                _isolated(db, learner, step, now=now, stats=stats, stage="remind")
            db.commit()
    with db_factory() as db:
        ids = candidate_learners(db, now=now, limit=batch)
    for start in range(0, len(ids), chunk):
        with db_factory() as db:
            wanted = ids[start:start + chunk]
            locked = lock_learners(db, wanted)
            stats.contended += len(wanted) - len(locked)
            prefetch_sent_today(db, locked, now)
            for learner in locked:
                step = partial(plan_learner, db, learner, now=now, policy=policy, voice=voice, stats=stats)
                _isolated(db, learner, step, now=now, stats=stats, stage="plan")
            db.commit()
    return stats

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
from sqlmodel import Session

from app.bulk import per_key
from app.channels.options import ChannelOptions
from app.channels.registry import channels
from app.learning.policy import Policy
from app.learning.prompts import Outgoing, render
from app.learning.texts import reminder_text
from app.models import Learner, Outbox, Prompt, Site
from app.observability import metrics
from app.scheduling import wake
from app.scheduling.window import in_window, local_day_start, next_window_start

log = logging.getLogger(__name__)
CAPPED_PURPOSES = ("prompt", "reminder", "opener")
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


def plan_learner(db: Session, learner: Learner, *, now: datetime, policy: Policy, options: ChannelOptions,
                 stats: PlanStats, last_24h: int | None = None) -> Outbox | None:
    """The next message for one locked learner, or None (and when to look again)."""
    site = db.get(Site, learner.site_id)
    # No re-check for a pending prompt: candidates had none, the row lock keeps other workers
    # out, and the one-pending index refuses the rare plan that raced a commit.
    if not _may_send(db, learner, site, now, policy, stats, last_24h):
        return None
    return channels.for_learner(learner.channel).plan(db, learner, now=now, policy=policy, options=options,
                                                      stats=stats)


def remind_or_expire(db: Session, prompt: Prompt, learner: Learner, *, now: datetime, policy: Policy,
                     stats: PlanStats, options: ChannelOptions | None = None,
                     last_24h: int | None = None) -> Outbox | None:
    """One reminder (bounded, inside the window, under the cap) on the prompt's channel;
    later, expiry without penalty. A channel that closes its own prompts (a call) decides."""
    channel = channels.named(prompt.channel)
    if channel.stale_prompt(db, prompt, learner, now=now, policy=policy, stats=stats):
        return None
    site = db.get(Site, learner.site_id)
    if prompt.reminders_sent < policy.reminders:
        if not _may_send(db, learner, site, now, policy, stats, last_24h):
            return None
        prompt.reminders_sent += 1
        prompt.last_sent_at = now
        db.add(prompt)
        stats.reminded += 1
        body = reminder_text(learner.language, render(db, prompt, learner))
        return channel.compose(db, learner, Outgoing(body, prompt.id, purpose="reminder"), now=now,
                               options=options or ChannelOptions(), reminder=True)
    # Reminders spent: expired when its time is up (``wake.pending_due``, which also tells
    # the planner when to look: at once for a prompt with no send time recorded).
    if wake.pending_due(policy, wake.Waiting(prompt.channel, prompt.last_sent_at, prompt.reminders_sent)) <= now:
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



"""Moving what is already planned when the rules it was planned under change.

The planner decides once: a learner outside their send window is put off to the next
opening (``Learner.next_contact_at``), a call is queued for a voice learner, a retry is
timed for later. When a site's window or a learner's timezone or channel changes, those
decisions are stale: a learner put off to tomorrow 09:00 by the old window would wait
although the new one is open now, and a learner moved from voice to SMS would still be
called. These functions bring every pending contact in line with the new rules at once;
the web forms and the command line call them in the same transaction as the change.

Only decisions the rules made are undone. A contact put off for another reason (the
gap after a call, a batch of reviews waiting to fill a call) keeps its time, moved inside
the new window if it now falls outside it.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlmodel import Session, select

from app.channels.registry import channels
from app.db import locked
from app.learning.prompts import pending_prompt, put_back
from app.models import Learner, Outbox, Prompt, Site
from app.scheduling.window import Window

# Outbox purposes the planner times (a reply answers the learner at once; a callback is
# a call they asked for by ringing us, and follows its own rules).
PLANNED_PURPOSES = ("prompt", "reminder", "opener", "notice", "retry")


@dataclass
class Rescheduled:
    """What a change did to contacts already planned (for the audit line and the flash)."""

    learners: int = 0          # learners whose next look was moved
    messages_retimed: int = 0  # queued messages given a new time
    messages_cancelled: int = 0
    calls_cancelled: int = 0
    prompts_released: int = 0  # put back to go by the new channel (or after reactivation)

    def add(self, other: Rescheduled) -> Rescheduled:
        for key, value in asdict(other).items():
            setattr(self, key, getattr(self, key) + value)
        return self

    def as_dict(self) -> dict[str, int]:
        return {key: value for key, value in asdict(self).items() if value}


def cancel_row(db: Session, row: Outbox, *, now: datetime) -> None:
    """Cancel a queued message; a session greeting that was to travel with it is queued again,
    so the learner still hears it before the first question."""
    row.status, row.updated_at = "cancelled", now
    db.add(row)
    prompt = db.get(Prompt, row.prompt_id) if row.prompt_id else None
    if prompt is None or prompt.training_session_id is None:
        return
    greeting = db.exec(select(Prompt).where(
        Prompt.learner_id == row.learner_id, Prompt.training_session_id == prompt.training_session_id,
        Prompt.kind == "greeting", Prompt.status == "sent", Prompt.sent_at == row.created_at)).first()
    if greeting is not None:
        greeting.status, greeting.sent_at, greeting.closed_at = "queued", None, None
        db.add(greeting)


def refit(when: datetime, *, old: Window, new: Window, now: datetime) -> datetime:
    """Where a planned moment goes under the new rules.

    Due already: stays, unless the new window is closed now. Put off to an opening of the
    old window: the new window decides afresh from now. Anything else keeps its time, or
    the new window's next opening if it falls outside it.
    """
    if when <= now:
        return when if new.contains(now) else new.next_start(now)
    if old.is_opening(when):
        return new.fit(now)
    return new.fit(when)


def _queued_rows(db: Session, learner_id: int, purposes=PLANNED_PURPOSES, kind: str | None = None) -> list[Outbox]:
    query = select(Outbox).where(Outbox.learner_id == learner_id, Outbox.status == "queued",
                                 Outbox.purpose.in_(purposes))
    if kind is not None:
        query = query.where(Outbox.kind == kind)
    # Locked as they are read: a sender claiming one meanwhile either got it first (it is no
    # longer queued here) or waits and then skips it.
    return list(db.exec(locked(query.order_by(Outbox.id))).all())


def retime_learner(db: Session, learner: Learner, *, old: Window, now: datetime,
                   site: Site | None = None, recheck: bool = False) -> Rescheduled:
    """Re-time the learner's next look and queued messages from ``old`` rules to their current ones.

    ``recheck``: the window is the same but the daily cap changed, so a learner put off to
    the next opening (perhaps by the cap) is looked at again now.
    """
    done = Rescheduled()
    new = Window.of(learner, site or db.get(Site, learner.site_id))
    if new == old and not recheck:
        return done
    when = learner.next_contact_at
    if when is not None and when > now:
        moved = refit(when, old=old, new=new, now=now)
        if moved != when:
            learner.next_contact_at = moved
            done.learners += 1
            db.add(learner)
    for row in _queued_rows(db, learner.id) if new != old else ():
        moved = refit(row.next_attempt_at, old=old, new=new, now=now)
        if moved != row.next_attempt_at:
            row.next_attempt_at, row.updated_at = moved, now
            db.add(row)
            done.messages_retimed += 1
    db.flush()
    return done


def retime_site(db: Session, site: Site, *, old_timezone: str, old_start: str, old_end: str,
                now: datetime, cap_changed: bool = False) -> Rescheduled:
    """``retime_learner`` for every learner of ``site`` with something planned ahead or queued."""
    done = Rescheduled()
    waiting = select(Outbox.learner_id).where(Outbox.status == "queued", Outbox.purpose.in_(PLANNED_PURPOSES))
    learners = db.exec(locked(select(Learner).where(
        Learner.site_id == site.id,
        (Learner.next_contact_at > now) | Learner.id.in_(waiting)).order_by(Learner.id))).all()
    for learner in learners:
        old = Window(learner.timezone or old_timezone, old_start, old_end)
        done.add(retime_learner(db, learner, old=old, now=now, site=site, recheck=cap_changed))
    return done


def cancel_unplaced_calls(db: Session, learner: Learner, *, now: datetime,
                          keep: tuple[str, ...] = ()) -> Rescheduled:
    """What each channel planned but has not started (a call not yet dialled) is called off,
    except on the channels in ``keep``; what it carried goes back to be sent another way."""
    done = Rescheduled()
    for channel in channels.all():
        if channel.name not in keep:
            calls, prompts = channel.call_off(db, learner, now=now)
            done.calls_cancelled += calls
            done.prompts_released += prompts
    return done


def switch_channel(db: Session, learner: Learner, *, old_channel: str, now: datetime) -> Rescheduled:
    """Bring what is pending over to the learner's new channel, and let the planner look now.

    A channel the learner no longer takes gives back what it planned: calls not yet dialled
    are cancelled, queued messages of its kind too, and the question waiting for an answer
    on it is put back, so the new channel carries it.
    """
    done = Rescheduled()
    if old_channel == learner.channel:
        return done
    taken = channels.route(learner.channel)
    keep = tuple(c.name for c in taken)
    done.add(cancel_unplaced_calls(db, learner, now=now, keep=keep))
    kinds = {c.outbox_kind for c in taken}
    for row in _queued_rows(db, learner.id):
        if row.kind not in kinds and not channels.for_row(row).closes_own_prompts:
            cancel_row(db, row, now=now)
            done.messages_cancelled += 1
    waiting = pending_prompt(db, learner.id)
    if waiting is not None and (waiting.channel or "sms") not in keep and not channels.named(waiting.channel).closes_own_prompts:
        put_back(db, waiting, now=now)
        done.prompts_released += 1
    learner.next_contact_at = None
    done.learners += 1
    db.add(learner)
    db.flush()
    return done


def hold_contacts(db: Session, learner: Learner, *, now: datetime) -> Rescheduled:
    """Nothing more goes to a learner who was just deactivated; nothing of their record is lost.

    Unsent messages are cancelled and calls not yet dialled are called off. The question
    waiting for an answer is put back, with the rest of a session's prompts, to be asked
    when the learner is reactivated (a due review stays due on its card).
    """
    done = cancel_unplaced_calls(db, learner, now=now)
    for row in _queued_rows(db, learner.id, purposes=(*PLANNED_PURPOSES, "callback")):
        cancel_row(db, row, now=now)
        done.messages_cancelled += 1
    waiting = pending_prompt(db, learner.id)
    if waiting is not None and not channels.named(waiting.channel).closes_own_prompts:  # a call in progress ends by itself
        put_back(db, waiting, now=now)
        done.prompts_released += 1
    db.flush()
    return done

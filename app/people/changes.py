"""The everyday changes a trainer makes to a learner: edits, moves, pauses, late joining.

Each function changes the learner, brings what is already planned for them in line
(``app.scheduling.reschedule``), catches a newcomer up on sessions already held, and
writes an audit line, all in the caller's transaction. The web forms, the CSV import and
the command line call these; none of them repeats the rules.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, select

from app.channels.registry import channels
from app.db import locked
from app.i18n import LANGUAGES
from app.learning.sessions import queue_held_sessions
from app.models import Cohort, Learner, Module, Site, TrainingSession
from app.models.people import CHANNELS
from app.people import audit
from app.scheduling.reschedule import Rescheduled, hold_contacts, retime_learner, switch_channel
from app.scheduling.window import Window

EDITABLE = ("name", "language", "channel", "timezone")


def late_join_window(config, *, wanted: bool = True) -> timedelta | None:
    """How far back a newcomer is caught up (``LATE_JOIN_DAYS``); None when unticked or 0."""
    days = int(config.get("LATE_JOIN_DAYS") or 0)
    return timedelta(days=days) if wanted and days > 0 else None


class LearnerError(ValueError):
    """The change cannot be made; the message is for the person who asked."""


@dataclass
class Change:
    """What one call changed: fields as ``{name: [old, new]}``, what was re-planned, what was queued."""

    fields: dict[str, list] = field(default_factory=dict)
    rescheduled: Rescheduled = field(default_factory=Rescheduled)
    sessions_queued: list[TrainingSession] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.fields or self.sessions_queued)


def check_values(*, name: str, language: str, channel: str, timezone: str | None) -> None:
    if not name.strip():
        raise LearnerError("a learner needs a name")
    if len(name) > 120:
        raise LearnerError("a name has at most 120 characters")
    if language not in LANGUAGES:
        raise LearnerError(f"language must be one of {', '.join(LANGUAGES)}")
    if channel not in CHANNELS:
        raise LearnerError(f"channel must be one of {', '.join(CHANNELS)}")
    if timezone:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise LearnerError(f"unknown timezone '{timezone}' (use names such as Asia/Kolkata)") from None


def lock(db: Session, learner: Learner) -> Learner:
    """The learner's row locked and read afresh: the planner may have just moved their next
    contact, and must not plan for them while the change is half made."""
    return db.exec(locked(select(Learner).where(Learner.id == learner.id))).one()


def _apply(db: Session, learner: Learner, values: dict, *, now: datetime) -> Change:
    """Set ``values`` and re-plan for what changed; no audit line (the callers word their own)."""
    lock(db, learner)
    change = Change(fields=audit.changed_fields({k: getattr(learner, k) for k in values}, values))
    if not change.fields:
        return change
    old_window = Window.of(learner, db.get(Site, learner.site_id))
    old_channel = learner.channel
    for key, (_old, new) in change.fields.items():
        setattr(learner, key, new)
    learner.updated_at = now
    db.add(learner)
    db.flush()
    if {"timezone", "site_id"} & change.fields.keys():
        change.rescheduled.add(retime_learner(db, learner, old=old_window, now=now))
    if "channel" in change.fields:
        change.rescheduled.add(switch_channel(db, learner, old_channel=old_channel, now=now))
    return change


def _detail(change: Change, **extra) -> dict:
    detail = {"fields": change.fields, **extra}
    if change.rescheduled.as_dict():
        detail["rescheduled"] = change.rescheduled.as_dict()
    return detail


def edit_learner(db: Session, *, learner: Learner, now: datetime, user_id: int | None, name: str,
                 language: str, channel: str, timezone: str | None) -> Change:
    """Change the learner's name, language, channel or own timezone (None: the site's)."""
    name, timezone = name.strip(), (timezone or "").strip() or None
    check_values(name=name, language=language, channel=channel, timezone=timezone)
    channel = channels.reachable(db, language, channel)
    change = _apply(db, learner, {"name": name, "language": language, "channel": channel, "timezone": timezone},
                    now=now)
    if change:
        audit.record(db, now=now, action="learner_edited", user_id=user_id, site_id=learner.site_id,
                     learner_id=learner.id, detail=_detail(change))
    return change


def move_learner(db: Session, *, learner: Learner, cohort: Cohort, now: datetime, user_id: int | None,
                 late_join: timedelta | None) -> Change:
    """Put the learner in ``cohort``; a cohort of another site moves them to that site too.

    The new site's window applies at once, and with ``late_join`` the sessions the new
    cohort held within it are queued for them (``queue_held_sessions``). Both sites'
    supervisors get the audit line.
    """
    old_cohort = db.get(Cohort, learner.cohort_id) if learner.cohort_id else None
    old_site_id = learner.site_id
    change = _apply(db, learner, {"cohort_id": cohort.id, "site_id": cohort.site_id}, now=now)
    if not change:
        return change
    detail = _detail(change, from_cohort=old_cohort.name if old_cohort else None, to_cohort=cohort.name)
    if old_site_id != cohort.site_id:
        detail.update(from_site=db.get(Site, old_site_id).name, to_site=db.get(Site, cohort.site_id).name)
        audit.record(db, now=now, action="learner_moved", user_id=user_id, site_id=old_site_id,
                     learner_id=learner.id, detail=detail)
    audit.record(db, now=now, action="learner_moved", user_id=user_id, site_id=cohort.site_id,
                 learner_id=learner.id, detail=detail)
    if late_join:
        change.sessions_queued = catch_up(db, learner=learner, now=now, user_id=user_id, within=late_join)
    return change


def catch_up(db: Session, *, learner: Learner, now: datetime, user_id: int | None,
             within: timedelta) -> list[TrainingSession]:
    """Queue the sessions the learner's cohort held lately (see ``queue_held_sessions``), with an audit line."""
    queued = queue_held_sessions(db, learner=learner, now=now, within=within)
    if queued:
        modules = [db.get(Module, s.module_id) for s in queued]
        audit.record(db, now=now, action="late_join", user_id=user_id, site_id=learner.site_id,
                     learner_id=learner.id, detail={"sessions": [
                         {"id": s.id, "module": m.key, "held_at": s.held_at.isoformat()}
                         for s, m in zip(queued, modules)]})
    return queued


def learner_added(db: Session, *, learner: Learner, now: datetime, user_id: int | None, how: str,
                  late_join: timedelta | None) -> list[TrainingSession]:
    """Audit a new learner and, with ``late_join``, catch them up on their cohort's sessions."""
    audit.record(db, now=now, action="learner_added", user_id=user_id, site_id=learner.site_id,
                 learner_id=learner.id, detail={"how": how, "name": learner.name})
    return catch_up(db, learner=learner, now=now, user_id=user_id, within=late_join) if late_join else []


def deactivate(db: Session, *, learner: Learner, now: datetime, user_id: int | None, reason: str = "") -> Change:
    """Pause an active learner: nothing more is sent (``hold_contacts``), history and counts stay."""
    if lock(db, learner).status != "active":
        raise LearnerError("only an active learner can be deactivated")
    reason = reason.strip()[:200]
    change = Change(fields={"status": [learner.status, "inactive"]})
    learner.status, learner.status_reason, learner.updated_at = "inactive", reason or None, now
    db.add(learner)
    change.rescheduled = hold_contacts(db, learner, now=now)
    audit.record(db, now=now, action="learner_deactivated", user_id=user_id, site_id=learner.site_id,
                 learner_id=learner.id, detail=_detail(change, reason=reason or None))
    return change


def reactivate(db: Session, *, learner: Learner, now: datetime, user_id: int | None,
               late_join: timedelta | None) -> Change:
    """Resume a paused learner where they stopped, plus sessions their cohort held meanwhile.

    Only a pause ends here: a learner who sent STOP comes back by sending START, never
    by a staff member's click.
    """
    if lock(db, learner).status != "inactive":
        raise LearnerError("only a deactivated learner can be reactivated")
    change = Change(fields={"status": ["inactive", "active"]})
    learner.status, learner.status_reason, learner.updated_at = "active", None, now
    learner.next_contact_at = None  # the planner looks at once
    db.add(learner)
    db.flush()
    audit.record(db, now=now, action="learner_reactivated", user_id=user_id, site_id=learner.site_id,
                 learner_id=learner.id, detail=_detail(change))
    if late_join:
        change.sessions_queued = catch_up(db, learner=learner, now=now, user_id=user_id, within=late_join)
    return change

"""Recording changes for the audit log, and reading them back for a site or a learner.

Every change a staff member (or the command line) makes to a learner or to a site's
sending rules goes through ``record`` in the same transaction as the change itself, so
the log never claims a change that was rolled back, nor misses one that was kept.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from app.models import AuditEvent, Learner, User

# What a line says happened; the staff pages translate these codes.
ACTIONS = (
    "learner_added",       # created (import, simulator)
    "learner_edited",      # name, language, channel, timezone
    "learner_moved",       # another cohort (and maybe another site)
    "learner_deactivated",
    "learner_reactivated",
    "late_join",           # sessions already held were queued for a newcomer
    "site_settings",       # send window, timezone, daily cap
)


def record(db: Session, *, now: datetime, action: str, user_id: int | None = None,
           site_id: int | None = None, learner_id: int | None = None, detail: dict | None = None) -> AuditEvent:
    """Add one audit line (in the caller's transaction: it commits with the change)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    event = AuditEvent(at=now, user_id=user_id, site_id=site_id, learner_id=learner_id, action=action,
                       detail=detail or {})
    db.add(event)
    return event


def changed_fields(before: dict, after: dict) -> dict[str, list]:
    """``{field: [old, new]}`` for the fields whose value differs."""
    return {key: [before.get(key), value] for key, value in after.items() if before.get(key) != value}


@dataclass
class AuditLine:
    event: AuditEvent
    user_name: str | None
    learner_name: str | None


def lines(db: Session, *, site_ids: set[int] | None, learner_id: int | None = None, limit: int = 50,
          offset: int = 0) -> tuple[list[AuditLine], int]:
    """The newest audit lines of ``site_ids`` (None: all), optionally of one learner, and their count."""
    query = select(AuditEvent, User, Learner).outerjoin(User, User.id == AuditEvent.user_id) \
        .outerjoin(Learner, Learner.id == AuditEvent.learner_id)
    count = select(func.count(AuditEvent.id))
    if site_ids is not None:
        query = query.where(AuditEvent.site_id.in_(site_ids or {-1}))
        count = count.where(AuditEvent.site_id.in_(site_ids or {-1}))
    if learner_id is not None:
        query = query.where(AuditEvent.learner_id == learner_id)
        count = count.where(AuditEvent.learner_id == learner_id)
    rows = db.exec(query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).offset(offset).limit(limit)).all()
    found = [AuditLine(event, (user.name or user.email) if user else None, learner.name if learner else None)
             for event, user, learner in rows]
    return found, db.exec(count).one()

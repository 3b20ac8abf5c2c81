"""Sending the mentoring e-mails the follow-up pass queued: once, outside its transaction.

The pass only records an e-mail ``MentoringNotice`` as ``queued`` and commits. This step
then, in short transactions of its own:

1. marks a ``sending`` notice whose lease (``LEASE``) ran out ``failed`` with the reason
   ``unknown``: its worker died between handing it to the SMTP server and recording the
   outcome, so it may or may not have arrived. We choose at most once: a mentor never gets
   the same nudge twice; the coordinator sees the failure on the pair page;
2. claims due ``queued`` notices (``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP
   LOCKED)`` on PostgreSQL, as ``app.bulk.claim``), setting them ``sending``, and commits,
   so two workers never take the same notice;
3. sends each with no transaction open (a slow SMTP server holds no lock), then marks it
   ``sent``; ``failed`` with the server's reason on a permanent refusal (5xx) or after
   ``MAX_ATTEMPTS``; or ``queued`` again with a doubling backoff on a temporary failure.

A notice whose person opted out (or lost their address) after it was queued is ``cancelled``.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from app.bulk import claim
from app.i18n import say
from app.mentoring.mail import MailDeferred, MailRefused, mask_email
from app.mentoring.notify import stopped
from app.models import Mentee, Mentor, MentoringNotice, Pair

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)  # far longer than one SMTP conversation (timeout 20 s)
MAX_ATTEMPTS = 6
BACKOFF = timedelta(minutes=5)  # 5, 10, 20, 40, 80 minutes between tries
UNKNOWN = "unknown"  # the pair page explains it in the reader's language


@dataclass
class MailStats:
    sent: int = 0
    deferred: int = 0
    failed: int = 0
    cancelled: int = 0
    expired: int = 0


def expire_stale(db: Session, *, now: datetime) -> int:
    """``sending`` past its lease becomes ``failed: unknown`` (never resent)."""
    result = db.execute(update(MentoringNotice).where(
        MentoringNotice.status == "sending", MentoringNotice.claimed_at < now - LEASE).values(
        status="failed", error=UNKNOWN))
    db.commit()
    return result.rowcount or 0


def claim_due(db: Session, *, now: datetime, limit: int) -> list[int]:
    """Take up to ``limit`` due queued e-mails for this worker; committed before returning."""
    due = (select(MentoringNotice.id).where(MentoringNotice.status == "queued",
                                            MentoringNotice.next_attempt_at <= now)
           .order_by(MentoringNotice.next_attempt_at, MentoringNotice.id).limit(limit))
    ids = db.execute(claim(MentoringNotice, due, status="sending", claimed_at=now,
                           attempts=MentoringNotice.attempts + 1).returning(MentoringNotice.id)).scalars().all()
    db.commit()
    return sorted(ids)


def _finish(db: Session, notice_id: int, **values) -> None:
    db.execute(update(MentoringNotice).where(MentoringNotice.id == notice_id,
                                             MentoringNotice.status == "sending").values(**values))
    db.commit()


def send_one(db: Session, notice_id: int, *, mail, now: datetime, stats: MailStats) -> None:
    notice = db.get(MentoringNotice, notice_id)
    pair = db.get(Pair, notice.pair_id)
    row = db.get(Mentor, pair.mentor_id) if notice.person == "mentor" else db.get(Mentee, pair.mentee_id)
    if stopped(db, row) or not row.email:
        _finish(db, notice_id, status="cancelled")
        stats.cancelled += 1
        return
    to, subject, body, attempts = row.email, say(row.language, "Mentoring"), notice.body, notice.attempts
    db.commit()  # nothing held open while the SMTP server answers
    try:
        mail.send(to, subject, body)
    except MailRefused as exc:
        _finish(db, notice_id, status="failed", error=str(exc)[:200])
        stats.failed += 1
        log.warning("e-mail refused", extra={"notice": notice_id, "to": mask_email(to), "reason": str(exc)[:200]})
    except (MailDeferred, OSError) as exc:
        if attempts >= MAX_ATTEMPTS:
            _finish(db, notice_id, status="failed", error=str(exc)[:200])  # the last reason
            stats.failed += 1
        else:
            _finish(db, notice_id, status="queued", error=str(exc)[:200],
                    next_attempt_at=now + BACKOFF * 2 ** (attempts - 1))
            stats.deferred += 1
        log.info("e-mail deferred", extra={"notice": notice_id, "to": mask_email(to), "attempts": attempts})
    except Exception as exc:  # a bug, not the server: fail it rather than leave it to the lease
        _finish(db, notice_id, status="failed", error=type(exc).__name__)
        stats.failed += 1
        log.exception("e-mail failed", extra={"notice": notice_id, "to": mask_email(to)})
    else:
        _finish(db, notice_id, status="sent", error=None)
        stats.sent += 1


def send_queued(db: Session, *, mail, now: datetime, limit: int = 50) -> MailStats:
    """One sending step; ``db`` must have no pending changes (it is committed as it goes)."""
    stats = MailStats(expired=expire_stale(db, now=now))
    for notice_id in claim_due(db, now=now, limit=limit):
        send_one(db, notice_id, mail=mail, now=now, stats=stats)
    return stats

"""The follow-up pass: nudge quiet pairs, check in at the mid-point, close pairs at the end.

Run by the worker every quarter hour (``run_for_app``) and by ``saathi mentoring
follow-up``. Idempotent: a pair is closed once (its status says so), and each message is a
``MentoringNotice`` that is written once per pair, kind, person and key, so running the
pass twice, or on two workers, sends nothing twice. E-mails are only queued here; they are
sent after the pass commits (``app/mentoring/outmail.py``), by ``run_for_app`` and the CLI.
A nudge's key is the day of the last meeting and how many quiet periods have passed since, so a pair that stays quiet is
nudged again each period, and a logged meeting starts the count afresh.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, select

from app.i18n import N_
from app.mentoring.mail import mail_from_env
from app.mentoring.notify import notify
from app.mentoring.outmail import send_queued
from app.models import Meeting, Mentee, Mentor, Pair, Site

log = logging.getLogger(__name__)

NUDGE = N_("Hello {name}, no mentoring meeting with {other} has been logged for {weeks} weeks. "
           "Time to meet? Tell your coordinator when you have met.")
MIDPOINT = N_("Hello {name}, you are halfway through your mentoring with {other}. "
              "How is it going? Your coordinator will be in touch.")
END = N_("Hello {name}, your mentoring with {other} has ended. Thank you! "
         "Your coordinator will ask how it went.")


@dataclass
class FollowUpStats:
    nudged: int = 0
    midpoint: int = 0
    closed: int = 0


def _both(db, pair, *, kind, key, msgid, now, **values) -> int:
    mentor, mentee = db.get(Mentor, pair.mentor_id), db.get(Mentee, pair.mentee_id)
    sent = 0
    for person, row, other in (("mentor", mentor, mentee), ("mentee", mentee, mentor)):
        if notify(db, pair=pair, person=person, row=row, kind=kind, key=key, msgid=msgid, now=now,
                  values={"name": row.name, "other": other.name, **values}):
            sent += 1
    return sent


def follow_up(db: Session, *, now: datetime, nudge_weeks: int) -> FollowUpStats:
    stats = FollowUpStats()
    pairs = db.exec(select(Pair).where(Pair.status == "active").order_by(Pair.id)).all()
    last_met = dict(db.exec(select(Meeting.pair_id, func.max(Meeting.held_on))
                            .where(Meeting.pair_id.in_([p.id for p in pairs] or [-1])).group_by(Meeting.pair_id)).all())
    for pair in pairs:
        site = db.get(Site, pair.site_id)
        today = now.astimezone(ZoneInfo(site.timezone or "UTC")).date()
        if pair.ends_on and today >= pair.ends_on:
            pair.status, pair.closed_at = "closed", now
            db.add(pair)
            _both(db, pair, kind="end", key="end", msgid=END, now=now)
            stats.closed += 1
            continue
        if pair.midpoint_at is None and pair.started_on and pair.ends_on and \
                today >= pair.started_on + (pair.ends_on - pair.started_on) / 2:
            pair.midpoint_at = now
            db.add(pair)
            _both(db, pair, kind="midpoint", key="mid", msgid=MIDPOINT, now=now)
            stats.midpoint += 1
        last = max(d for d in (last_met.get(pair.id), pair.started_on) if d is not None)
        periods = (today - last).days // (7 * nudge_weeks)
        if periods >= 1 and _both(db, pair, kind="nudge", key=f"{last.isoformat()}/{periods}", msgid=NUDGE, now=now,
                                  weeks=periods * nudge_weeks):
            stats.nudged += 1
    db.flush()
    return stats


def mail_of(app):
    """The app's e-mail transport: SmtpMail when SAATHI_SMTP_URL is set, else ConsoleMail."""
    return app.extensions.setdefault("saathi.mail", mail_from_env())


def run_for_app(app, *, now: datetime | None = None) -> FollowUpStats | None:
    """The worker's job: one pass in its own session; a failure is logged, never raised."""
    from app.db import get_engine

    now = now or app.extensions["saathi.clock"].now()
    try:
        with Session(get_engine(app), expire_on_commit=False) as db:
            stats = follow_up(db, now=now, nudge_weeks=int(app.config["MENTOR_NUDGE_WEEKS"]))
            db.commit()
    except Exception:
        log.exception("mentoring follow-up failed")
        return None
    log.info("mentoring follow-up", extra={"stats": stats.__dict__})
    send_for_app(app, now=now)
    return stats


def send_for_app(app, *, now: datetime):
    """The sending step after the pass (its own session); a failure is logged, never raised."""
    from app.db import get_engine

    try:
        with Session(get_engine(app), expire_on_commit=False) as db:
            sent = send_queued(db, mail=mail_of(app), now=now)
    except Exception:
        log.exception("mentoring e-mail failed")
        return None
    log.info("mentoring e-mail", extra={"stats": sent.__dict__})
    return sent

"""How each dial ended (Twilio's call status callback), and what Saathi does about it.

Each callback is stored once per CallSid and status (``DeliveryEvent``), so a repeated
one changes nothing. A completed call keeps its duration (voice minutes are the cost of
this channel). A busy, unanswered or failed dial is tried again later inside the send
window, a bounded number of times; after that the call is given up, its prompts go back,
and a learner who also takes SMS gets them by SMS from the planner.
"""
from __future__ import annotations

import logging
import time
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.channels.outbox import locked_row
from app.models import DeliveryEvent, Learner, Outbox, Site
from app.observability import metrics
from app.voice.calls import (
    CALL_PATH,
    call_of_row,
    dial,
    end_call,
    next_contact_after,
    within_window,
)
from app.voice.settings import VoiceOptions

log = logging.getLogger(__name__)
NOT_REACHED = ("busy", "no-answer", "failed", "canceled")
FINAL = ("completed", *NOT_REACHED)
# A callback can overtake the commit that stores the SID of the call it reports on.
SID_WAIT_SECONDS = 2.0


def record_call_status(db: Session, *, sid: str, status: str, duration: int | None, now: datetime,
                       options: VoiceOptions, wait: float = SID_WAIT_SECONDS) -> bool:
    """Store one call status callback and act on it; False if it was seen before."""
    status = (status or "").lower()
    if status in FINAL:
        wait_for_sid(db, sid, wait)
    try:
        with db.begin_nested():
            event = DeliveryEvent(sid=sid, status=status, received_at=now)
            db.add(event)
            db.flush()
    except IntegrityError:
        return False
    metrics.status_callback(status)
    row = locked_row(db, sid)
    if row is None:
        log.warning("call status %s for a call not yet known (%s): kept for the next dispatch pass", status, sid)
        return True
    apply_call_status(db, row, status, duration, now=now, options=options)
    event.applied = True
    db.add(event)
    return True


def wait_for_sid(db: Session, sid: str, seconds: float) -> bool:
    """Wait (briefly) for the dispatcher to store the SID Twilio just gave it.

    Each look is its own short transaction, so no lock is held while waiting: on SQLite
    holding one would keep out the very commit this waits for.
    """
    deadline = time.monotonic() + seconds
    while True:
        found = db.exec(select(Outbox.id).where(Outbox.sid == sid)).first() is not None
        db.rollback()
        if found or time.monotonic() >= deadline:
            return found
        time.sleep(0.05)


def apply_call_status(db: Session, row: Outbox, status: str, duration: int | None, *, now: datetime,
                      options: VoiceOptions) -> None:
    if status not in FINAL or row.status in FINAL:
        return  # progress events (ringing, in-progress) change nothing; a final status stays
    row.status, row.updated_at = status, now
    if duration is not None:
        row.duration_seconds = duration
    db.add(row)
    call = call_of_row(db, row)
    learner = db.get(Learner, row.learner_id) if row.learner_id else None
    if call is None or learner is None:
        return
    if status == "completed" and call.started_at is not None:
        if call.status == "in-progress":  # the learner hung up before the end
            end_call(db, call, now=now, status="completed")
            learner.next_contact_at = next_contact_after(db, learner, call, now=now, options=options)
            db.add(learner)
        return
    # Not reached (or answered by something that never asked for our TwiML).
    if call.status != "planned":
        return
    call.failed_dials += 1
    call.updated_at = now
    db.add(call)
    if call.failed_dials < options.max_dials and learner.active:
        site = db.get(Site, learner.site_id)
        at = within_window(now + options.retry_after * 2 ** (call.failed_dials - 1), learner, site)
        dial(db, call, learner, now=now, purpose="retry", base_url=_base_of(row.body), at=at)
        metrics.retried("call", row.purpose)
        return
    metrics.failed("call", call.purpose, status)
    end_call(db, call, now=now, status="failed")
    learner.next_contact_at = next_contact_after(db, learner, call, now=now, options=options)
    db.add(learner)


def _base_of(url: str) -> str:
    return url.split(CALL_PATH, 1)[0]


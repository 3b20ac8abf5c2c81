"""Writing to a mentor or a mentee: SMS through the outbox, else e-mail, at most once.

An SMS is an outbox row like any other notice, so the dispatcher sends it, retries it and
records its delivery; this module only decides whether and when. It never goes to a
person who opted out (or whose learner record did), waits for the programme's send
window (the site's hours in its timezone), and keeps to one mentoring SMS a day per
number. Without a phone number the notice is recorded as a ``queued`` e-mail and nothing
is sent here: ``app/mentoring/outmail.py`` sends it after the pass has committed, so a pass
that fails and runs again cannot send it twice, and a slow SMTP server holds no transaction
open. Each notice is recorded once per pair, kind, person and key (``MentoringNotice``'s
unique key).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, select

from app.i18n import say
from app.mentoring.mail import ConsoleMail
from app.messaging.segments import count_segments
from app.models import Learner, MentoringNotice, Outbox, Pair, Site
from app.scheduling.window import Window

__all__ = ["ConsoleMail", "already", "notify", "send_time", "stopped"]

log = logging.getLogger(__name__)


def already(db: Session, *, pair: Pair, kind: str, person: str, key: str) -> bool:
    return db.exec(select(MentoringNotice.id).where(MentoringNotice.pair_id == pair.id, MentoringNotice.kind == kind,
                                                    MentoringNotice.person == person,
                                                    MentoringNotice.key == key)).first() is not None


def stopped(db: Session, row) -> bool:
    """Whether ``row`` (a mentor or mentee) must not be written to: opted out here or as a learner."""
    if row.opted_out_at is not None or not row.active:
        return True
    learner_id = getattr(row, "learner_id", None)
    if learner_id and db.get(Learner, learner_id).status in ("opted_out", "invalid"):
        return True
    if row.phone:
        status = db.exec(select(Learner.status).where(Learner.phone == row.phone)).first()
        if status in ("opted_out", "invalid"):
            return True
    return False


def send_time(db: Session, *, site: Site, phone: str, now: datetime) -> datetime:
    """Inside the site's window, on a local day with no mentoring SMS to ``phone`` yet."""
    window = Window(site.timezone or "UTC", site.send_start, site.send_end)
    when = window.fit(now)
    for _ in range(7):
        local = when.astimezone(ZoneInfo(window.zone))
        day_start = (local.replace(hour=0, minute=0, second=0, microsecond=0)).astimezone(now.tzinfo)
        taken = db.exec(select(func.count()).select_from(Outbox).where(
            Outbox.to_number == phone, Outbox.purpose == "notice", Outbox.kind == "sms",
            Outbox.next_attempt_at >= day_start, Outbox.next_attempt_at < day_start + timedelta(days=1),
            Outbox.status != "cancelled")).one()
        if not taken:
            return when
        when = window.next_start(day_start + timedelta(days=1) - timedelta(seconds=1))
    return when


def notify(db: Session, *, pair: Pair, person: str, row, kind: str, key: str, msgid: str, values: dict,
           now: datetime) -> MentoringNotice | None:
    """Write ``msgid`` to one side of ``pair`` unless it was before; the notice, or None."""
    if already(db, pair=pair, kind=kind, person=person, key=key):
        return None
    body = say(row.language, msgid, **values)
    notice = MentoringNotice(pair_id=pair.id, kind=kind, person=person, key=key, channel="none", body=body[:1600],
                             sent_at=now)
    if not stopped(db, row):
        if row.phone:
            site = db.get(Site, pair.site_id)
            info = count_segments(body)
            outbox = Outbox(learner_id=getattr(row, "learner_id", None), kind="sms", purpose="notice",
                            to_number=row.phone, body=body, encoding=info.encoding, segments=info.segments,
                            next_attempt_at=send_time(db, site=site, phone=row.phone, now=now),
                            created_at=now, updated_at=now)
            db.add(outbox)
            db.flush()
            notice.channel, notice.outbox_id = "sms", outbox.id
        elif row.email:
            notice.channel, notice.status, notice.next_attempt_at = "email", "queued", now
    db.add(notice)
    db.flush()
    return notice

"""Outcome check-ins: "Are you working now?" at 3, 6 and 12 months after graduating, on
the learner's channel (an SMS, WhatsApp buttons, or the keypad in a call).

A check-in is an ordinary queued ``Prompt`` (kind ``checkin``, ``seq`` = its month), so
the planner sends it like any other: inside the send window, under the daily cap, never
to an opted-out learner, reminded and expired by the same rules. Written through the ORM,
so the session's wake hook brings the learner's ``wake_at`` forward. The reply is read
here (``answer``): a clear one appends an outcome step to the journey, an unclear one
waits in the supervisors' queue.
"""
from __future__ import annotations

import calendar
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from app.i18n import say
from app.learning.parsing import parse_number
from app.models import Learner, Prompt, Site
from app.models.journey import JourneyCheckin, JourneyStep

MONTHS = (3, 6, 12)
KIND = "checkin"
# The learner's reply 1-4, as an outcome; 1 ("same job") keeps the job they last had.
REPLIES = {2: "new_job", 3: "education", 4: "looking"}
JOBS = ("contract", "new_job", "promotion")


def months_after(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def schedule(db: Session, *, learner: Learner, graduated_on: date, now: datetime) -> list[Prompt]:
    """Queue the check-ins still to come after graduating on ``graduated_on``.

    Queued check-ins of an earlier graduation are cancelled first (a corrected date must not
    ask twice), and dates already past are not asked late. Whatever the learner's channel:
    SMS and WhatsApp send the question, a call puts it on the keypad.
    """
    for old in db.exec(select(Prompt).where(Prompt.learner_id == learner.id, Prompt.kind == KIND,
                                            Prompt.status == "queued")).all():
        old.status, old.closed_at = "cancelled", now
        db.add(old)
    site = db.get(Site, learner.site_id)
    zone = ZoneInfo(learner.timezone or site.timezone or "UTC")
    start = time.fromisoformat(site.send_start)
    queued = []
    for months in MONTHS:
        due = datetime.combine(months_after(graduated_on, months), start, tzinfo=zone).astimezone(now.tzinfo)
        if due < now:
            continue
        prompt = Prompt(learner_id=learner.id, kind=KIND, seq=months, status="queued", due_at=due)
        db.add(prompt)
        queued.append(prompt)
    db.flush()
    return queued


def question_text(lang: str) -> str:
    return say(lang, "Are you working now? Reply 1 same job, 2 new job, 3 studying, 4 looking for work.")


def spoken_text(lang: str) -> str:
    """The question in a call: keys, not replies."""
    return say(lang, "Are you working now? Press 1 for the same job, 2 for a new job, 3 if you are studying, "
                     "4 if you are looking for work.")


def button_titles(lang: str) -> list[str]:
    """The four answers as WhatsApp buttons (short: a list row holds 24 characters)."""
    return [say(lang, "Same job"), say(lang, "New job"), say(lang, "Studying"), say(lang, "Looking for work")]


CHANNEL_NAMES = {"sms": "SMS", "voice": "Voice", "whatsapp": "WhatsApp"}


def answer(db: Session, *, learner: Learner, prompt: Prompt, text: str, now: datetime, channel: str = "sms") -> str:
    """Read a reply to ``prompt``, close it, and say thank you (the caller sends it)."""
    from app.journeys.steps import record_step  # steps schedules check-ins: import at use

    number = parse_number(text, 1, 4)
    kind = REPLIES.get(number) if number else None
    if number == 1:
        last = db.exec(select(JourneyStep.kind).where(JourneyStep.learner_id == learner.id,
                                                      JourneyStep.stage == "outcome", JourneyStep.kind.in_(JOBS))
                       .order_by(JourneyStep.starts_on.desc(), JourneyStep.id.desc())).first()
        kind = last or "contract"
    prompt.status, prompt.closed_at = "answered", now
    db.add(JourneyCheckin(learner_id=learner.id, prompt_id=prompt.id, months=prompt.seq, raw=text.strip()[:320],
                          kind=kind, status="answered" if kind else "unclear", answered_at=now))
    if kind is None:
        return say(learner.language, "Thank you! Your supervisor will get in touch.")
    record_step(db=db, learner=learner, stage="outcome", kind=kind, starts_on=now.date(), now=now,
                note=f"{CHANNEL_NAMES.get(channel, channel)} check-in, {prompt.seq} months: {text.strip()[:40]}")
    return say(learner.language, "Thank you! Good luck.")

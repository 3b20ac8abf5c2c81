"""STOP and START from a mentor or mentee who is not a learner.

The SMS webhook knows learners; a mentor answering a nudge with STOP reaches it as a
stranger. Their word must hold as a learner's does: nothing more after it (``notify.stopped``
reads ``opted_out_at``), and what is already queued for them is cancelled.
"""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from app.i18n import N_, say
from app.learning import texts
from app.learning.keywords import START, STOP, match_keyword
from app.models import Mentee, Mentor, Outbox

STARTED = N_("Welcome back! Saathi will write to you about mentoring again. Reply STOP to stop.")


def answer(db: Session, *, phone: str, text: str, now: datetime) -> str | None:
    """The reply to ``text`` from ``phone`` when it is STOP or START from a mentor or mentee
    (their records updated); None when it is neither, or nobody in mentoring has the number."""
    command = match_keyword(text)
    if command is None or command[0] not in (STOP, START):
        return None
    people = [*db.exec(select(Mentor).where(Mentor.phone == phone)).all(),
              *db.exec(select(Mentee).where(Mentee.phone == phone)).all()]
    if not people:
        return None
    language = people[0].language
    if command[0] == STOP:
        for person in people:
            person.opted_out_at = person.opted_out_at or now
            db.add(person)
        for row in db.exec(select(Outbox).where(Outbox.to_number == phone, Outbox.purpose == "notice",
                                                Outbox.status == "queued")).all():
            row.status, row.updated_at = "cancelled", now
            db.add(row)
        return texts.stopped_text(language)
    for person in people:
        person.opted_out_at = None
        db.add(person)
    return say(language, STARTED)

"""A text from a mentor or mentee who is not a learner: STOP, START, or a reply.

The SMS webhook knows learners; a mentor answering a nudge or a check-in reaches it as a
stranger. A STOP must hold as a learner's does: nothing more after it (``notify.stopped``
reads ``opted_out_at``), and what is already queued for them is cancelled. Any other text is
a reply for the coordinator: the webhook stores every inbound text (``Inbound``), and the
pair page lists those from either side's number (``replies_to``); the sender is thanked
instead of being told their number is unknown.
"""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from app.i18n import N_, say
from app.learning import texts
from app.learning.keywords import START, STOP, match_keyword
from app.models import Inbound, Mentee, Mentor, Outbox, Pair

STARTED = N_("Welcome back! Saathi will write to you about mentoring again. Reply STOP to stop.")
THANKS = N_("Thank you! Your mentoring coordinator will read this.")


def answer(db: Session, *, phone: str, text: str, now: datetime) -> str | None:
    """The reply to ``text`` from ``phone`` when a mentor or mentee has the number (STOP and
    START update their records); None when nobody in mentoring has it."""
    command = match_keyword(text)
    if command is None or command[0] not in (STOP, START):
        # One statement for a stranger's text, which is mostly not from mentoring at all.
        language = db.execute(select(Mentor.language).where(Mentor.phone == phone)
                              .union_all(select(Mentee.language).where(Mentee.phone == phone)).limit(1)).scalar()
        return None if language is None else say(language, THANKS)
    # STOP and START change the records: read once, the language taken from them.
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


def replies_to(db: Session, pair: Pair, mentor: Mentor, mentee: Mentee) -> list[tuple[str, Inbound]]:
    """``(side, text)`` of the SMS either side sent since the pair was proposed, newest first.
    A mentee who is a learner answers the learner's conversation instead: not listed here."""
    sides = {p.phone: side for side, p in (("mentor", mentor), ("mentee", mentee)) if p.phone}
    if not sides:
        return []
    rows = db.exec(select(Inbound).where(Inbound.from_number.in_(sides), Inbound.learner_id.is_(None),
                                         Inbound.received_at >= pair.proposed_at)
                   .order_by(Inbound.received_at.desc(), Inbound.id.desc()).limit(50)).all()
    return [(sides[row.from_number], row) for row in rows]

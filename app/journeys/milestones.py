"""Skills milestones beside the quiz: a CV written, a bank account opened and used, a first
online booking, an interview held. The built-in list is data (``BUILT_IN``); a programme
(a site) adds its own in the ``milestone`` table.

A learner confirms one by answering a queued prompt of kind ``milestone`` (1 yes, 2 not
yet), sent by the planner like a check-in: inside the window, under the cap, never to an
opted-out learner, on the learner's channel. A trainer or supervisor confirms one on the
learner's page (``confirm``). Which milestone a prompt asks is the ``learner_milestone``
row that holds its ``prompt_id``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from app.i18n import N_, say
from app.learning.parsing import parse_number
from app.models import Learner, Prompt
from app.models.journey import LearnerMilestone, Milestone

KIND = "milestone"
# What the learner reads besides the question (app/content/dlt_catalog.py registers them too).
REPLY = N_("Reply 1 yes, 2 not yet.")
DONE = N_("Well done!")
LATER = N_("Thank you! We will ask again later.")


@dataclass(frozen=True)
class Definition:
    key: str
    title: str       # a catalog id for a built-in one; the programme's own words otherwise
    question: str
    own: bool = False


BUILT_IN = (
    Definition("cv", N_("CV written"), N_("Have you written your CV?")),
    Definition("bank", N_("Bank account opened and used"),
               N_("Have you opened a bank account and used it?")),
    Definition("booking", N_("First online booking made"),
               N_("Have you made a booking online yourself?")),
    Definition("interview", N_("Interview held"), N_("Have you had a job interview?")),
)


def definitions(db: Session, site_id: int | None) -> list[Definition]:
    """The built-in milestones, then the site's own (``None``: every site's own as well)."""
    query = select(Milestone).order_by(Milestone.site_id, Milestone.id)
    if site_id is not None:
        query = query.where(Milestone.site_id == site_id)
    own = [Definition(m.key, m.title, m.question, own=True) for m in db.exec(query).all()]
    seen, result = set(), []
    for d in (*BUILT_IN, *own):
        if d.key not in seen:
            seen.add(d.key)
            result.append(d)
    return result


def definition(db: Session, site_id: int, key: str) -> Definition | None:
    return next((d for d in definitions(db, site_id) if d.key == key), None)


def add(db: Session, *, site_id: int, key: str, title: str, question: str) -> Milestone:
    """A programme's own milestone (``saathi journeys milestone-add``)."""
    key = key.strip().lower()[:32]
    if not key or any(d.key == key for d in BUILT_IN):
        raise ValueError(f"milestone key {key!r} is empty or built in")
    row = Milestone(site_id=site_id, key=key, title=title.strip()[:80], question=question.strip()[:160])
    db.add(row)
    db.flush()
    return row


def states(db: Session, learner_id: int) -> dict[str, LearnerMilestone]:
    return {r.key: r for r in db.exec(select(LearnerMilestone).where(LearnerMilestone.learner_id == learner_id)).all()}


def _row(db: Session, learner_id: int, key: str) -> LearnerMilestone:
    row = db.exec(select(LearnerMilestone).where(LearnerMilestone.learner_id == learner_id,
                                                 LearnerMilestone.key == key)).first()
    return row or LearnerMilestone(learner_id=learner_id, key=key, status="asked")


def ask(db: Session, *, learner: Learner, key: str, now: datetime) -> Prompt | None:
    """Queue the milestone's question, due now (the planner sends it when it may); None when
    the milestone is unknown, already reached, or its question is already out."""
    if definition(db, learner.site_id, key) is None:
        return None
    row = _row(db, learner.id, key)
    if row.status == "reached":
        return None
    if row.prompt_id is not None:
        waiting = db.get(Prompt, row.prompt_id)
        if waiting is not None and waiting.status in ("queued", "pending", "paused"):
            return None
    prompt = Prompt(learner_id=learner.id, kind=KIND, status="queued", due_at=now, created_at=now)
    db.add(prompt)
    db.flush()
    row.status, row.prompt_id, row.updated_at = "asked", prompt.id, now
    db.add(row)
    db.flush()
    return prompt


def confirm(db: Session, *, learner: Learner, key: str, now: datetime, user_id: int | None = None,
            channel: str | None = None, reached: bool = True) -> LearnerMilestone:
    """Record the milestone as reached (or not yet), by a user or by the learner on ``channel``."""
    row = _row(db, learner.id, key)
    row.status = "reached" if reached else "not_yet"
    row.reached_on = now.date() if reached else None
    row.confirmed_by, row.channel, row.updated_at = user_id, channel, now
    db.add(row)
    db.flush()
    return row


def asked_by(db: Session, prompt: Prompt) -> LearnerMilestone | None:
    return db.exec(select(LearnerMilestone).where(LearnerMilestone.prompt_id == prompt.id)).first()


def question_text(db: Session, prompt: Prompt, lang: str) -> str:
    row = asked_by(db, prompt)
    learner = db.get(Learner, prompt.learner_id)
    found = definition(db, learner.site_id, row.key) if row else None
    asked = say(lang, found.question) + " " if found else ""
    return asked + say(lang, REPLY)


def spoken_text(db: Session, prompt: Prompt, lang: str) -> str:
    """The question in a call: the written one, then the keys."""
    row = asked_by(db, prompt)
    found = definition(db, db.get(Learner, prompt.learner_id).site_id, row.key) if row else None
    asked = say(lang, found.question) + " " if found else ""
    return asked + say(lang, "Press 1 for yes, 2 for not yet.")


def button_titles(lang: str) -> list[str]:
    return [say(lang, "Yes"), say(lang, "Not yet")]


def answer(db: Session, *, learner: Learner, prompt: Prompt, text: str, now: datetime, channel: str = "sms") -> str | None:
    """Read a reply 1 (yes) or 2 (not yet) and close the prompt; the thanks to send, or None
    when the reply is neither (the caller asks again)."""
    number = parse_number(text, 1, 2)
    if number is None:
        return None
    prompt.status, prompt.closed_at = "answered", now
    db.add(prompt)
    row = asked_by(db, prompt)
    if row is not None:
        confirm(db, learner=learner, key=row.key, now=now, channel=channel, reached=number == 1)
    if number == 1:
        return say(learner.language, DONE)
    return say(learner.language, LATER)


def export_rows(db: Session, learner_id: int) -> list[dict]:
    return [{"milestone": r.key, "status": r.status, "reached_on": r.reached_on.isoformat() if r.reached_on else None,
             "by": "staff" if r.confirmed_by else r.channel, "updated_at": r.updated_at.isoformat()}
            for r in sorted(states(db, learner_id).values(), key=lambda r: r.id)]


def counts(db: Session, learner_ids: set[int]) -> dict[str, set[int]]:
    """Per milestone key, the learners among ``learner_ids`` who reached it."""
    result: dict[str, set[int]] = {}
    if not learner_ids:
        return result
    for key, lid in db.exec(select(LearnerMilestone.key, LearnerMilestone.learner_id).where(
            LearnerMilestone.status == "reached", LearnerMilestone.learner_id.in_(learner_ids))).all():
        result.setdefault(key, set()).add(lid)
    return result

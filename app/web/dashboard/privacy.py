"""A learner's right to see and to erase what Saathi keeps about them.

Plain functions over a database session (no Flask), called by the admin's learner page
and usable from a CLI or a job. ``erase_learner`` deletes rather than anonymises: answers,
feedback, prompts and cards are worthless to the programme without the person, and a
phone number is the identity, so nothing linked to it is kept. Aggregates shown earlier
(reports already printed) are not recomputed. ``ERASED_TABLES`` are the tables known
here; any other table with a foreign key to ``learner`` or ``prompt`` (a channel added
later, such as voice calls) is swept too, so a new table cannot keep an erased person.
"""
from __future__ import annotations

from sqlalchemy import delete, or_
from sqlmodel import Session, SQLModel, select

from app.journeys import milestones
from app.journeys.steps import export_rows as journey_rows
from app.learning.progress import learner_record
from app.mentoring.privacy import erase_mentees_of_learner, mentee_records_of_learner
from app.models import (
    Answer,
    Card,
    Cohort,
    DeliveryEvent,
    Feedback,
    Inbound,
    Learner,
    Outbox,
    Prompt,
    Site,
)

# Deleted in this order (children before the rows they point at).
ERASED_TABLES = ("answer", "feedback", "inbound", "delivery_event", "outbox", "card", "prompt", "learner")


def _iso(value):
    return value.isoformat() if value is not None else None


def export_learner(*, db: Session, learner: Learner) -> dict:
    """Everything Saathi holds about ``learner``, as JSON-ready data (full phone number)."""
    record = learner_record(db=db, learner=learner)
    site = db.get(Site, learner.site_id)
    cohort = db.get(Cohort, learner.cohort_id) if learner.cohort_id else None
    inbound = db.exec(select(Inbound).where(or_(Inbound.learner_id == learner.id,
                                                Inbound.from_number == learner.phone))
                      .order_by(Inbound.received_at, Inbound.id)).all()
    outbox = db.exec(select(Outbox).where(or_(Outbox.learner_id == learner.id, Outbox.to_number == learner.phone))
                     .order_by(Outbox.created_at, Outbox.id)).all()
    prompts = db.exec(select(Prompt).where(Prompt.learner_id == learner.id).order_by(Prompt.created_at, Prompt.id)).all()
    return {
        "learner": {**record, "id": learner.id, "site": site.name if site else None,
                    "cohort": cohort.name if cohort else None, "timezone": learner.timezone,
                    "opted_out_at": _iso(learner.opted_out_at), "created_at": _iso(learner.created_at)},
        "prompts": [{"kind": p.kind, "status": p.status, "due_at": _iso(p.due_at), "sent_at": _iso(p.sent_at),
                     "channel": p.channel, "closed_at": _iso(p.closed_at)} for p in prompts],
        "messages_received": [{"channel": m.channel, "body": m.body, "received_at": _iso(m.received_at),
                               "reply": m.reply} for m in inbound],
        "messages_sent": [{"kind": m.kind, "purpose": m.purpose, "body": m.body, "status": m.status,
                           "segments": m.segments, "created_at": _iso(m.created_at), "sent_at": _iso(m.sent_at)}
                          for m in outbox],
        "journey": journey_rows(db=db, learner_id=learner.id),
        "mentoring": mentee_records_of_learner(db, learner.id),
        "milestones": milestones.export_rows(db, learner.id),
        # Comments the learner agreed to have quoted (the public impact page shows them).
        "testimonials": [{"comment": f.comment, "consent_at": _iso(f.consent_at)} for f in db.exec(
            select(Feedback).where(Feedback.learner_id == learner.id, Feedback.testimonial)
            .order_by(Feedback.consent_at, Feedback.id)).all()],
    }


def erase_learner(*, db: Session, learner: Learner) -> dict[str, int]:
    """Delete the learner and every row about them; returns rows deleted per table.

    Messages are matched by learner id and by phone number, so an SMS received before the
    number was registered goes too. Runs in the caller's transaction: commit to make it so.
    """
    lid, phone = learner.id, learner.phone
    prompt_ids = select(Prompt.id).where(Prompt.learner_id == lid)
    outbox_filter = or_(Outbox.learner_id == lid, Outbox.to_number == phone, Outbox.prompt_id.in_(prompt_ids))
    sids = [s for s in db.exec(select(Outbox.sid).where(outbox_filter)).all() if s]
    statements = {
        "answer": delete(Answer).where(or_(Answer.learner_id == lid, Answer.prompt_id.in_(prompt_ids))),
        "feedback": delete(Feedback).where(or_(Feedback.learner_id == lid, Feedback.prompt_id.in_(prompt_ids),
                                                 Feedback.comment_prompt_id.in_(prompt_ids))),
        "inbound": delete(Inbound).where(or_(Inbound.learner_id == lid, Inbound.from_number == phone,
                                             Inbound.prompt_id.in_(prompt_ids))),
        "delivery_event": delete(DeliveryEvent).where(DeliveryEvent.sid.in_(sids)) if sids else None,
        "outbox": delete(Outbox).where(outbox_filter),
        "card": delete(Card).where(Card.learner_id == lid),
        "prompt": delete(Prompt).where(Prompt.learner_id == lid),
        "learner": delete(Learner).where(Learner.id == lid),
    }
    mentoring = erase_mentees_of_learner(db, lid)  # before the messages: a pair's notices name outbox rows
    counts = {}
    for table in ERASED_TABLES:
        if table == "card":
            counts.update(_sweep_other_tables(db, learner_id=lid, prompt_ids=prompt_ids))
        statement = statements[table]
        counts[table] = db.exec(statement).rowcount if statement is not None else 0
    for table, rows in mentoring.items():
        counts[table] = counts.get(table, 0) + rows
    db.expunge(learner)
    db.flush()
    return counts


def _sweep_other_tables(db: Session, *, learner_id: int, prompt_ids) -> dict[str, int]:
    """Rows of tables not named above that point at the learner or their prompts."""
    counts = {}
    for table in reversed(SQLModel.metadata.sorted_tables):
        if table.name in ERASED_TABLES:
            continue
        conditions = []
        for fk in table.foreign_keys:
            target = fk.column.table.name
            if target == "learner":
                conditions.append(fk.parent == learner_id)
            elif target == "prompt":
                conditions.append(fk.parent.in_(prompt_ids))
        if conditions:
            counts[table.name] = db.exec(delete(table).where(or_(*conditions))).rowcount
    return counts

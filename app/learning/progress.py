"""A learner's record as staff and tools see it (``saathi learners show``, exports)."""
from __future__ import annotations

from sqlmodel import Session, select

from app.models import Answer, Card, Feedback, Item, Learner, Module, Prompt


def _item_key(db: Session, item_id: int, cache: dict) -> str:
    if item_id not in cache:
        item = db.get(Item, item_id)
        cache[item_id] = f"{db.get(Module, item.module_id).key}/{item.slug}"
    return cache[item_id]


def learner_record(*, db: Session, learner: Learner) -> dict:
    keys: dict = {}
    pending = db.exec(select(Prompt).where(Prompt.learner_id == learner.id, Prompt.status == "pending")).first()
    answers = db.exec(select(Answer).where(Answer.learner_id == learner.id).order_by(Answer.answered_at, Answer.id)).all()
    cards = db.exec(select(Card).where(Card.learner_id == learner.id).order_by(Card.due, Card.id)).all()
    feedback = db.exec(select(Feedback).where(Feedback.learner_id == learner.id).order_by(Feedback.created_at)).all()
    return {
        "phone": learner.phone, "name": learner.name, "language": learner.language,
        "channel": learner.channel, "status": learner.status, "status_reason": learner.status_reason,
        "pending_prompt": None if pending is None else {
            "id": pending.id, "kind": pending.kind,
            "item": _item_key(db, pending.item_id, keys) if pending.item_id else None,
            "sent_at": pending.last_sent_at.isoformat() if pending.last_sent_at else None,
        },
        "answers": [{
            "item": _item_key(db, a.item_id, keys), "kind": a.kind, "raw": a.raw, "choice": a.choice,
            "correct": a.correct, "channel": a.channel, "answered_at": a.answered_at.isoformat(),
        } for a in answers],
        "cards": [{
            "item": _item_key(db, c.item_id, keys), "due": c.due.isoformat(), "state": c.state,
            "reps": c.reps, "lapses": c.lapses,
            "last_review": c.last_review.isoformat() if c.last_review else None,
        } for c in cards],
        "feedback": [{"session_id": f.training_session_id, "rating": f.rating, "comment": f.comment,
                      "created_at": f.created_at.isoformat(), "updated_at": f.updated_at.isoformat()}
                     for f in feedback],
    }

"""Storing what a learner says about a session: one row holds their rating and comment.

The rating and the comment arrive as two replies, minutes or days apart, by SMS or (the
rating) by keypad; both land in the learner's one ``Feedback`` row for that session, so
the supervisor reads them together and follows them up once. A low rating or any comment
raises the row's follow-up flag; a later part never lowers a flag already raised.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.db import locked
from app.models import Feedback, Learner, Prompt

LOW_RATING = 2


def feedback_row(db: Session, *, learner: Learner, prompt: Prompt, now: datetime) -> Feedback:
    """The learner's row for the prompt's session, created by whichever part comes first.

    Outside a session there is nothing to pair with: each prompt gets a row of its own.
    """
    if prompt.training_session_id is None:
        row = Feedback(learner_id=learner.id, created_at=now, updated_at=now)
        db.add(row)
        return row
    query = locked(select(Feedback).where(Feedback.learner_id == learner.id,
                                          Feedback.training_session_id == prompt.training_session_id))
    row = db.exec(query).first()
    if row is not None:
        return row
    try:
        with db.begin_nested():
            row = Feedback(learner_id=learner.id, training_session_id=prompt.training_session_id,
                           created_at=now, updated_at=now)
            db.add(row)
            db.flush()
        return row
    except IntegrityError:  # the other part was stored at the same moment: join its row
        return db.exec(query).one()


def store_rating(db: Session, *, learner: Learner, prompt: Prompt, rating: int, now: datetime) -> Feedback:
    row = feedback_row(db, learner=learner, prompt=prompt, now=now)
    row.rating, row.prompt_id, row.updated_at = rating, prompt.id, now
    row.flagged = row.flagged or rating <= LOW_RATING
    db.add(row)
    db.flush()
    return row


def store_comment(db: Session, *, learner: Learner, prompt: Prompt, comment: str, now: datetime) -> Feedback:
    row = feedback_row(db, learner=learner, prompt=prompt, now=now)
    row.comment, row.comment_prompt_id, row.updated_at = comment[:1600], prompt.id, now
    row.flagged = True  # every comment is read by a person
    db.add(row)
    db.flush()
    return row

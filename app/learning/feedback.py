"""Storing what a learner says about a session: one row holds their rating and comment.

The rating and the comment arrive as two replies, minutes or days apart, by SMS or (the
rating) by keypad; both land in the learner's one ``Feedback`` row for that session, so
the supervisor reads them together and follows them up once. A low rating or any comment
raises the row's follow-up flag; a later part never lowers a flag already raised.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_
from sqlmodel import Session

from app.db import upsert
from app.models import Feedback, Learner, Prompt

LOW_RATING = 2


def store_rating(db: Session, *, learner: Learner, prompt: Prompt, rating: int, now: datetime) -> Feedback:
    return _store(db, learner=learner, prompt=prompt, now=now, flag=rating <= LOW_RATING,
                  values={"rating": rating, "prompt_id": prompt.id})


def store_comment(db: Session, *, learner: Learner, prompt: Prompt, comment: str, now: datetime) -> Feedback:
    # Every comment is read by a person.
    return _store(db, learner=learner, prompt=prompt, now=now, flag=True,
                  values={"comment": comment[:1600], "comment_prompt_id": prompt.id})


def _store(db: Session, *, learner: Learner, prompt: Prompt, now: datetime, flag: bool, values: dict) -> Feedback:
    """One part into the learner's row for the prompt's session, created by whichever part
    comes first: one INSERT .. ON CONFLICT DO UPDATE, so a rating and a comment stored at
    the same moment (a keypad rating during an SMS comment) meet in the same row.

    Outside a session there is nothing to pair with: each prompt gets a row of its own
    (NULL sessions never collide in ``uq_feedback_learner_session``).
    """
    table = Feedback.__table__
    statement = upsert(db, Feedback).values(learner_id=learner.id, training_session_id=prompt.training_session_id,
                                            flagged=flag, created_at=now, updated_at=now, **values)
    if prompt.training_session_id is not None:
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.learner_id, table.c.training_session_id],
            # a later part never lowers a flag already raised
            set_={**{key: statement.excluded[key] for key in values}, "updated_at": now,
                  "flagged": or_(table.c.flagged, statement.excluded.flagged)})
    # The row comes back as an object, any copy the session held read afresh.
    return db.scalars(statement.returning(Feedback), execution_options={"populate_existing": True}).one()

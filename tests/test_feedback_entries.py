"""One feedback entry per learner and session: the rating and the comment land together,
however far apart they arrive; feedback from outside any session is still kept."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from app.learning.inbound import receive_sms
from app.learning.sessions import complete_session
from app.models import Feedback, Prompt
from app.reports import feedback as fb
from app.scheduling.dispatcher import dispatch_once
from tests.factories import app_policy, cohort, held_session, make_module


def text(db, phone, body, clock):
    reply = receive_sms(db=db, sid="SM" + uuid.uuid4().hex, from_number=phone, body=body, now=clock.now(),
                        policy=app_policy())
    db.commit()
    return str(reply)


@pytest.fixture
def asha(app, db, clock):
    asha, _ = held_session(db, clock.now())
    dispatch_once(app=app)
    for body in ["2", "2", "1"]:
        text(db, asha.phone, body, clock)
    return asha


def entries(db, learner):
    return db.exec(select(Feedback).where(Feedback.learner_id == learner.id).order_by(Feedback.id)).all()


def test_a_comment_the_next_day_joins_the_rating_and_raises_the_flag(app, db, clock, asha):
    started = clock.now()
    text(db, asha.phone, "4", clock)
    (entry,) = entries(db, asha)
    assert (entry.rating, entry.comment, entry.flagged) == (4, None, False)  # a good rating needs no follow-up
    clock.advance(days=1)
    assert "trainer will read this" in text(db, asha.phone, "The room was too hot", clock)
    db.expire_all()
    (entry,) = entries(db, asha)
    assert (entry.rating, entry.comment, entry.flagged) == (4, "The room was too hot", True)
    assert (entry.created_at, entry.updated_at) == (started, clock.now())
    # "What came in since yesterday" (the API's `since`) finds the entry the comment joined.
    rows, n = fb.list_feedback(db=db, site_ids=None, filters=fb.FeedbackFilter(since=clock.now()))
    assert n == 1 and rows[0].feedback.comment == "The room was too hot"


def test_a_comment_after_the_rating_was_followed_up_flags_the_entry_again(app, db, clock, asha):
    text(db, asha.phone, "1", clock)
    (entry,) = entries(db, asha)
    assert entry.flagged  # a low rating
    fb.set_flagged(db=db, feedback=entry, flagged=False, now=clock.now())
    db.commit()
    text(db, asha.phone, "Please slow down", clock)
    db.expire_all()
    (entry,) = entries(db, asha)
    assert entry.flagged and entry.comment == "Please slow down"


def test_a_skipped_comment_leaves_the_rating_alone(app, db, clock, asha):
    text(db, asha.phone, "5", clock)
    text(db, asha.phone, "0", clock)
    (entry,) = entries(db, asha)
    assert (entry.rating, entry.comment, entry.comment_prompt_id, entry.flagged) == (5, None, None, False)


def test_each_session_has_its_own_entry(app, db, clock, asha):
    text(db, asha.phone, "5", clock)
    text(db, asha.phone, "first session", clock)
    second = make_module(db, slug="upi-refunds")
    clock.advance(days=2)
    complete_session(db=db, cohort=cohort(db), module=second, held_at=clock.now(), now=clock.now())
    db.commit()
    dispatch_once(app=app)
    for body in ["2", "2", "1", "3", "second session"]:
        text(db, asha.phone, body, clock)
    assert [(f.rating, f.comment) for f in entries(db, asha)] == [(5, "first session"), (3, "second session")]


def test_the_database_refuses_a_second_entry_for_one_learner_and_session(app, db, clock, asha):
    text(db, asha.phone, "5", clock)
    (entry,) = entries(db, asha)
    db.add(Feedback(learner_id=asha.id, training_session_id=entry.training_session_id, rating=1,
                    created_at=clock.now(), updated_at=clock.now()))
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()


def test_feedback_outside_a_session_is_still_stored(app, db, clock, asha):
    """No path puts a rating or comment outside a session today; if one does, it is kept."""
    text(db, asha.phone, "5", clock)
    text(db, asha.phone, "0", clock)
    for words in ("Thanks for the reminders", "And the quiz"):
        db.add(Prompt(learner_id=asha.id, kind="comment", status="pending", due_at=clock.now(),
                      sent_at=clock.now(), last_sent_at=clock.now(), created_at=clock.now()))
        db.commit()
        assert "trainer will read this" in text(db, asha.phone, words, clock)
    outside = [f for f in entries(db, asha) if f.training_session_id is None]
    assert [f.comment for f in outside] == ["Thanks for the reminders", "And the quiz"]
    assert all(f.flagged for f in outside)

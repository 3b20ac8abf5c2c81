"""The fuzz tests' store checks (tests/hardening/invariants.py) catch what they promise to:
each broken promise, written into the database by hand, is named."""
from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from app.models import Answer, Feedback, Learner, Outbox, Prompt
from app.scheduling.dispatcher import dispatch_once
from tests.hardening import invariants


def test_a_sound_store_has_no_problems(app, db, learning):
    dispatch_once(app=app)
    assert invariants.problems(db) == []


def test_an_answer_on_someone_else_s_question_is_named(app, db, learning, clock):
    asha, ravi = learning
    dispatch_once(app=app)
    db.expire_all()
    greeting = db.exec(select(Prompt).where(Prompt.learner_id == asha.id, Prompt.kind == "greeting")).one()
    question = db.exec(select(Prompt).where(Prompt.learner_id == ravi.id, Prompt.kind == "question")).first()
    question.status = "answered"
    db.add(Answer(learner_id=asha.id, prompt_id=question.id, item_id=question.item_id, kind="question", raw="2",
                  choice=2, correct=True, answered_at=clock.now()))
    db.add(Feedback(learner_id=asha.id, prompt_id=greeting.id, rating=9, created_at=clock.now(),
                    updated_at=clock.now()))
    db.commit()
    found = "\n".join(invariants.problems(db))
    assert f"is on learner {ravi.id}'s prompt {question.id}" in found
    assert f"is on greeting prompt {greeting.id}" in found
    assert "has rating 9" in found


def test_anything_left_for_or_sent_to_an_opted_out_learner_is_named(app, db, learning, clock):
    asha, _ = learning
    dispatch_once(app=app)
    db.expire_all()
    learner = db.get(Learner, asha.id)
    learner.status, learner.opted_out_at = "opted_out", clock.now()
    db.add(learner)
    db.add(Outbox(learner_id=asha.id, to_number=asha.phone, body="late", status="delivered", purpose="prompt",
                  sid="SMlate", next_attempt_at=clock.now(), sent_at=clock.now() + timedelta(minutes=1)))
    db.commit()
    found = "\n".join(invariants.problems(db))
    assert f"opted-out learner {asha.id} still has" in found and "open prompts" in found
    assert f"1 messages sent to learner {asha.id} after they opted out" in found

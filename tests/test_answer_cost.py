"""What one inbound answer costs the database: at most 8 SQL statements (issue 12).

Each test posts one signed ``POST /twilio/sms`` and counts every statement the app's
engine sends while it is handled (SQLAlchemy's ``before_cursor_execute``; on SQLite that
includes the ``BEGIN IMMEDIATE`` that takes the write lock, on PostgreSQL the driver's own
BEGIN is not seen). The budget is 8, the learner's dispatcher wake-up included (one
UPDATE of ``learner.wake_at`` at commit, app/scheduling/wake.py).
"""
from __future__ import annotations

import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlmodel import select

from app.models import Answer, Card, Feedback, Inbound, Item, Outbox, Prompt
from app.scheduling.dispatcher import dispatch_once
from tests.factories import held_session
from tests.test_webhooks_sms import inbound, messages_in

BUDGET = 8  # any reply, either database (the bound)
# On PostgreSQL, a statement is a round trip and a parse: an answer writes what it changed in
# one statement (``bulk.write_changes``): lock, read, prompts, the rest. SQLite, in process,
# flushes row by row (its count includes BEGIN IMMEDIATE).
POSTGRES_ANSWER = 4


def within_budget(app, seen, *, postgres: int = POSTGRES_ANSWER) -> bool:
    on_postgres = app.extensions["saathi.engine"].dialect.name == "postgresql"
    return len(seen) <= (postgres if on_postgres else BUDGET)


@contextmanager
def counted(engine):
    """Every SQL statement ``engine`` executes inside the block, in order."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _executemany):
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def post_counted(app, twilio_post, params) -> tuple[list[str], list[str]]:
    """The replies to one signed inbound SMS and the statements it cost."""
    with counted(app.extensions["saathi.engine"]) as seen:
        replies = messages_in(twilio_post("/twilio/sms", params))
    print(f"{params['Body']!r}: {len(seen)} statements\n{show(seen)}")  # shown with pytest -s
    return replies, seen


def show(seen: list[str]) -> str:
    return "\n".join(f"{n:2}. {s[:160]}" for n, s in enumerate(seen, 1))


@pytest.fixture
def asha(app, db, clock):
    """Asha, with the first question of her post-session quiz pending."""
    learner, _ = held_session(db, clock.now())
    dispatch_once(app=app)
    return learner


def answer(twilio_post, phone, *bodies):
    for body in bodies:
        messages_in(twilio_post("/twilio/sms", inbound("SM" + uuid.uuid4().hex, phone, body)))


def test_a_quiz_answer_with_the_next_question_costs_at_most_the_budget(app, db, asha, twilio_post):
    replies, seen = post_counted(app, twilio_post, inbound("SMcost1", asha.phone, "2"))
    assert replies[0].startswith("Correct!") and "Q2/3" in "".join(replies)
    assert within_budget(app, seen), show(seen)
    # All of it stored: the answer, the card, the first prompt closed and the second put.
    assert db.exec(select(Answer.correct).where(Answer.learner_id == asha.id)).all() == [True]
    assert db.exec(select(Card.reps).where(Card.learner_id == asha.id)).all() == [1]
    statuses = db.exec(select(Prompt.kind, Prompt.seq, Prompt.status).where(Prompt.learner_id == asha.id)
                       .order_by(Prompt.id)).all()
    assert statuses[:3] == [("greeting", 0, "sent"), ("question", 1, "answered"), ("question", 2, "pending")]
    row = db.exec(select(Inbound).where(Inbound.sid == "SMcost1")).one()
    assert row.reply == replies[0] and row.prompt_id is not None
    assert db.exec(select(Outbox.body).where(Outbox.purpose == "reply")).all() == replies


def test_a_review_answer_without_a_next_question_costs_at_most_the_budget(app, db, asha, clock, twilio_post):
    answer(twilio_post, asha.phone, "2", "2", "1", "5", "0")  # the quiz, the rating, no comment
    clock.advance(days=3)
    dispatch_once(app=app)
    review = db.exec(select(Prompt).where(Prompt.learner_id == asha.id, Prompt.status == "pending")).one()
    assert review.kind == "review"
    reps = db.exec(select(Card.reps).where(Card.learner_id == asha.id, Card.item_id == review.item_id)).one()

    replies, seen = post_counted(app, twilio_post, inbound("SMcost2", asha.phone, "3"))
    assert replies == [replies[0]] and replies[0].startswith("The answer is")
    assert within_budget(app, seen), show(seen)
    db.expire_all()
    assert db.get(Prompt, review.id).status == "answered"
    assert db.exec(select(Card.reps).where(Card.learner_id == asha.id, Card.item_id == review.item_id)).one() == reps + 1
    assert db.exec(select(Answer.correct).where(Answer.prompt_id == review.id)).one() is False


def test_a_feedback_rating_costs_at_most_the_budget(app, db, asha, twilio_post):
    answer(twilio_post, asha.phone, "2", "2", "1")
    replies, seen = post_counted(app, twilio_post, inbound("SMcost3", asha.phone, "2"))
    assert "Thank you for your rating" in "".join(replies) and "Anything to tell" in "".join(replies)
    assert within_budget(app, seen, postgres=POSTGRES_ANSWER + 1), show(seen)  # the rating's own upsert
    row = db.exec(select(Feedback).where(Feedback.learner_id == asha.id)).one()
    assert (row.rating, row.flagged) == (2, True)  # a low rating is flagged for the supervisor


def test_odd_replies_and_replays_cost_less_and_store_nothing_twice(app, db, asha, twilio_post):
    reask, seen = post_counted(app, twilio_post, inbound("SModd", asha.phone, "maybe"))
    assert reask[0].startswith("Please reply with a number from 1 to 3") and "Q1/3" in reask[0]
    assert len(seen) <= BUDGET, show(seen)
    first = messages_in(twilio_post("/twilio/sms", inbound("SMtwice", asha.phone, "2")))
    again, seen = post_counted(app, twilio_post, inbound("SMtwice", asha.phone, "2"))
    assert again == first
    assert len(seen) <= 2, show(seen)  # (lock,) read: the stored reply
    assert len(db.exec(select(Answer)).all()) == 1
    assert len(db.exec(select(Inbound).where(Inbound.sid == "SMtwice")).all()) == 1


def test_a_stranger_is_answered_once_however_often_twilio_retries(app, db, asha, twilio_post):
    first, seen = post_counted(app, twilio_post, inbound("SMstranger", "+919999999999", "hello"))
    # The upsert, the learner probe, and one look among mentors and mentees (app/mentoring/inbound.py).
    assert "not registered" in first[0] and len(seen) <= 4, show(seen)
    assert messages_in(twilio_post("/twilio/sms", inbound("SMstranger", "+919999999999", "hello"))) == first
    assert len(db.exec(select(Inbound).where(Inbound.sid == "SMstranger")).all()) == 1


def test_a_review_answered_while_a_new_session_waits_puts_its_greeting_and_first_question(
        app, db, clock, twilio_post):
    """The closed review has a larger id than the greeting and question put after it: they
    are still written closed-first (the one-pending index would refuse the other order)."""
    from app.learning.engine import record_review
    from app.learning.prompts import create_review
    from tests.factories import app_policy

    asha, _ = held_session(db, clock.now())  # the quiz queued, not yet sent
    item = db.exec(select(Item).order_by(Item.id)).first()
    card = record_review(db, learner_id=asha.id, item_id=item.id, correct=True, now=clock.now(),
                         policy=app_policy())
    card.due = clock.now()
    review = create_review(db, card, asha, now=clock.now())
    db.commit()
    queued = db.exec(select(Prompt.id).where(Prompt.learner_id == asha.id, Prompt.status == "queued")).all()
    assert max(queued) < review.prompt_id

    replies, seen = post_counted(app, twilio_post, inbound("SMcost4", asha.phone, "2"))
    assert "Correct!" in replies[0] and "Thank you for today's session" in "".join(replies)
    assert "Q1/3" in "".join(replies)
    assert within_budget(app, seen), show(seen)
    statuses = dict(db.exec(select(Prompt.kind, Prompt.status).where(
        Prompt.learner_id == asha.id, Prompt.status.in_(("pending", "sent", "answered")))).all())
    assert statuses == {"review": "answered", "greeting": "sent", "question": "pending"}


def test_an_answer_that_leaves_nothing_pending_says_so(app, db, asha, clock):
    """``Conversation.freed``: where the learner's dispatcher wake-up will be set."""
    def reply(body):
        from app.learning.conversation import load, lock_learner
        from app.learning.engine import handle_text
        from tests.factories import app_policy

        lock_learner(db, asha.phone)
        talk = load(db, now=clock.now(), phone=asha.phone)
        handle_text(db=db, learner=talk.learner, text=body, now=clock.now(), policy=app_policy(),
                    conversation=talk)
        db.commit()
        return talk.freed

    assert [reply(b) for b in ("2", "maybe", "2", "1", "5", "0")] == [False, False, False, False, False, True]
    assert reply("HELP") is False

"""What one inbound answer costs the database: at most 8 SQL statements (issue 12).

Each test posts one signed ``POST /twilio/sms`` and counts every statement the app's
engine sends while it is handled (SQLAlchemy's ``before_cursor_execute``; on SQLite that
includes the ``BEGIN IMMEDIATE`` that takes the write lock, on PostgreSQL the driver's own
BEGIN is not seen). The budget is 8; the answer path is kept at 7 or fewer so that one
more UPDATE of the learner row (its dispatcher wake-up, ``learner.wake_at``) still fits.
"""
from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from app.models import Answer, Card, Feedback, Inbound, Outbox, Prompt
from app.scheduling.dispatcher import dispatch_once
from tests.factories import held_session
from tests.test_webhooks_sms import inbound, messages_in

BUDGET = 8
OWN_BUDGET = 7  # BUDGET less one statement kept for the learner's wake-up


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
    return replies, seen


def show(seen: list[str]) -> str:
    return "\n".join(f"{n:2}. {s[:160]}" for n, s in enumerate(seen, 1))


@pytest.fixture
def asha(app, db, clock):
    """Asha, with the first question of her post-session quiz pending."""
    learner, _ = held_session(db, clock.now())
    dispatch_once(app=app)
    return learner


def test_a_quiz_answer_with_the_next_question_costs_at_most_the_budget(app, db, asha, twilio_post):
    replies, seen = post_counted(app, twilio_post, inbound("SMcost1", asha.phone, "2"))
    assert replies[0].startswith("Correct!") and "Q2/3" in "".join(replies)
    print(show(seen))
    assert len(seen) <= OWN_BUDGET, show(seen)

"""What the dispatcher decides to send, and when it holds back."""
from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from app.learning.engine import record_review
from app.learning.policy import Policy
from app.models import Item, Outbox, Prompt
from app.scheduling.dispatcher import dispatch_once
from tests.factories import make_learners, make_module


def due_cards(db, clock, learner, module):
    for item in db.exec(select(Item).where(Item.module_id == module.id)).all():
        record_review(db, learner_id=learner.id, item_id=item.id, correct=False,
                      now=clock.now() - timedelta(days=2), policy=Policy())
    db.commit()


def expire_pending(db, clock):
    for prompt in db.exec(select(Prompt).where(Prompt.status == "pending")).all():
        prompt.status = "expired"
        db.add(prompt)
    db.commit()


def test_daily_cap_holds_a_learner_to_three_prompts_a_day(app, db, clock):
    module = make_module(db)
    asha, _ = make_learners(db, clock.now())
    due_cards(db, clock, asha, module)
    sent = []
    for _ in range(5):  # the learner answers nothing; we free the slot by hand each time
        dispatch_once(app=app)
        expire_pending(db, clock)
        for row in db.exec(select(Outbox).where(Outbox.learner_id == asha.id)).all():
            if row.id not in sent:
                sent.append(row.id)
        clock.advance(minutes=30)
    assert len(sent) == 3
    clock.advance(days=1)
    dispatch_once(app=app)
    assert len(db.exec(select(Outbox).where(Outbox.learner_id == asha.id)).all()) == 4


def test_one_prompt_at_a_time_even_with_many_cards_due(app, db, clock):
    module = make_module(db)
    asha, _ = make_learners(db, clock.now())
    due_cards(db, clock, asha, module)
    for _ in range(3):
        dispatch_once(app=app)
    assert len(db.exec(select(Outbox).where(Outbox.learner_id == asha.id)).all()) == 1
    assert len(db.exec(select(Prompt).where(Prompt.status == "pending")).all()) == 1


def test_retired_items_are_not_reviewed(app, db, clock):
    module = make_module(db)
    asha, _ = make_learners(db, clock.now())
    due_cards(db, clock, asha, module)
    for item in db.exec(select(Item)).all():
        item.active = False
        db.add(item)
    db.commit()
    assert dispatch_once(app=app).plan.planned == 0

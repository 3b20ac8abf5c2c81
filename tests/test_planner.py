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


def _pending_with_no_send_time(db, clock, *, reminders_sent=0):
    """Asha with cards due and a review pending that no send time was recorded for (every
    path that makes a prompt pending records one; this row is written by other means)."""
    module = make_module(db)
    asha, _ = make_learners(db, clock.now())
    due_cards(db, clock, asha, module)
    item = db.exec(select(Item).where(Item.module_id == module.id).order_by(Item.id)).first()
    prompt = Prompt(learner_id=asha.id, kind="review", status="pending", item_id=item.id, channel="sms",
                    due_at=clock.now() - timedelta(hours=1), reminders_sent=reminders_sent)
    db.add(prompt)
    db.commit()
    return asha, prompt


def test_a_pending_prompt_with_no_send_time_is_due_at_once_and_reminded(app, db, clock):
    """The planner's bulk load and ``wake_for`` see it alike (``wake.pending_due``): due at
    once. Counted as sent "now" at each look, its reminder was put off at every look."""
    from app.scheduling import wake
    from app.scheduling.planner import Chunk, wake_for
    from tests.factories import app_policy

    asha, prompt = _pending_with_no_send_time(db, clock)
    now, policy = clock.now(), app_policy()
    have = Chunk.load(db, [asha.id], now)
    loaded = wake.next_wake(now=now, policy=policy, hold=None, pending=have.pending[asha.id][1],
                            first_due=have.first_card[asha.id][2])
    assert loaded == wake_for(db, asha, now=now, policy=policy) == now + wake.RECHECK

    stats = dispatch_once(app=app)
    assert stats.plan.reminded == 1 and stats.plan.plan_errors == 0
    db.expire_all()
    prompt = db.get(Prompt, prompt.id)
    assert (prompt.status, prompt.reminders_sent, prompt.last_sent_at) == ("pending", 1, now)
    assert db.exec(select(Outbox.purpose).where(Outbox.learner_id == asha.id)).all() == ["reminder"]
    learner = db.get(type(asha), asha.id)
    # Looked at next from the time now recorded: its next reminder, or its expiry.
    later = now + (policy.reminder_after if policy.reminders > 1 else policy.prompt_expiry)
    assert learner.wake_at == wake_for(db, learner, now=now, policy=policy) == later


def test_a_pending_prompt_with_no_send_time_and_no_reminder_left_expires(app, db, clock):
    from tests.factories import app_policy

    _asha, prompt = _pending_with_no_send_time(db, clock, reminders_sent=app_policy().reminders)
    stats = dispatch_once(app=app)
    assert stats.plan.expired == 1 and stats.plan.plan_errors == 0
    db.expire_all()
    assert db.get(Prompt, prompt.id).status == "expired"

"""Batching calls: a call of reviews alone waits for ``min_questions`` due cards, or until the
oldest due one has waited ``batch_wait`` (``calls.review_call_at``, docs/learning.md
"Batching calls"). A post-session quiz and a callback are never held back."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from app.learning.sessions import complete_session
from app.messaging.transport import get_transport
from app.models import Card, Item, Learner, Prompt, VoiceCall
from app.scheduling.dispatcher import dispatch_once
from app.simulation import schedules
from app.voice.calls import build_call, review_call_at
from app.voice.settings import VoiceOptions
from tests.factories import QUESTIONS, cohort, make_learners, make_module

ONE_VOICE_LEARNER = """phone,name,site,language,cohort,channel
+919876543210,Asha Devi,Andheri Mall,en,andheri-march,voice
"""
WAIT = timedelta(days=4)


@pytest.fixture
def batching(app):
    """Calls of reviews wait for 3 due questions, or 4 days."""
    app.extensions["saathi.voice"] = VoiceOptions(min_questions=3, batch_wait=WAIT)
    return app.extensions["saathi.voice"]


@pytest.fixture
def learner(app, db, clock):
    module = make_module(db)
    (asha,) = make_learners(db, clock.now(), ONE_VOICE_LEARNER)
    items = db.exec(select(Item).where(Item.module_id == module.id).order_by(Item.id)).all()
    assert len(items) == 3
    for item in items:  # the session's quiz is behind her: three cards, none due yet
        db.add(Card(learner_id=asha.id, item_id=item.id, due=clock.now() + timedelta(days=30), state=2))
    db.commit()
    return asha


def make_due(db, learner, dues):
    cards = db.exec(select(Card).where(Card.learner_id == learner.id).order_by(Card.id)).all()
    for card, due in zip(cards, dues):
        card.due = due
        db.add(card)
    db.commit()


def calls(app):
    return [m for m in get_transport(app).sent if m["kind"] == "call"]


def carried(db, learner) -> list[int]:
    """Questions each of the learner's calls carries, in order."""
    rows = db.exec(select(VoiceCall).where(VoiceCall.learner_id == learner.id).order_by(VoiceCall.id)).all()
    return [len(row.prompt_ids) for row in rows]


def test_the_rule_on_datetimes_and_on_the_simulators_integer_clock():
    t0 = datetime(2026, 3, 2, 10, tzinfo=UTC)
    day = timedelta(days=1)
    assert review_call_at([], min_questions=3, wait=WAIT) is None
    assert review_call_at([t0], min_questions=1, wait=WAIT) == t0  # 1: as soon as one is due
    assert review_call_at([t0, t0 + day], min_questions=3, wait=WAIT) == t0 + WAIT  # too few: the wait
    assert review_call_at([t0, t0 + day, t0 + 2 * day], min_questions=3, wait=WAIT) == t0 + 2 * day
    assert review_call_at([t0, t0 + day, t0 + 9 * day], min_questions=3, wait=WAIT) == t0 + WAIT
    us = 86_400_000_000
    assert review_call_at([5, 5 + us, 5 + 2 * us], min_questions=3, wait=4 * us) == 5 + 2 * us


def test_a_lone_due_card_gets_no_call_until_it_has_waited(app, db, clock, batching, learner):
    make_due(db, learner, [clock.now() - timedelta(minutes=1)])
    dispatch_once(app=app)
    assert calls(app) == []
    db.expire_all()
    asha = db.get(Learner, learner.id)
    assert asha.next_contact_at == clock.now() - timedelta(minutes=1) + WAIT  # looked at again then
    clock.advance(days=2)
    dispatch_once(app=app)
    assert calls(app) == []
    clock.advance(days=2)
    dispatch_once(app=app)
    assert len(calls(app)) == 1 and carried(db, learner) == [1]  # the wait releases it


def test_the_call_goes_when_the_third_card_falls_due_and_carries_all_three(app, db, clock, batching, learner):
    now = clock.now()
    make_due(db, learner, [now - timedelta(hours=1), now + timedelta(days=1), now + timedelta(days=2)])
    dispatch_once(app=app)
    assert calls(app) == []
    db.expire_all()
    assert db.get(Learner, learner.id).next_contact_at == now + timedelta(days=2)
    clock.advance(days=2)
    dispatch_once(app=app)
    assert len(calls(app)) == 1 and carried(db, learner) == [3]
    prompts = db.exec(select(Prompt).where(Prompt.learner_id == learner.id)).all()
    assert sorted(p.kind for p in prompts) == ["review"] * 3


def test_three_due_cards_are_called_at_once(app, db, clock, batching, learner):
    make_due(db, learner, [clock.now() - timedelta(hours=h) for h in (3, 2, 1)])
    dispatch_once(app=app)
    assert len(calls(app)) == 1 and carried(db, learner) == [3]


def test_with_one_a_single_due_card_is_called_as_before(app, db, clock, learner):
    app.extensions["saathi.voice"] = VoiceOptions(min_questions=1)
    make_due(db, learner, [clock.now() - timedelta(minutes=1)])
    dispatch_once(app=app)
    assert len(calls(app)) == 1 and carried(db, learner) == [1]


def test_a_post_session_quiz_is_never_held_back(app, db, clock, batching):
    module = make_module(db, questions=QUESTIONS[:1])  # a one-question quiz, fewer than 3
    (asha,) = make_learners(db, clock.now(), ONE_VOICE_LEARNER)
    complete_session(db=db, cohort=cohort(db), module=module, held_at=clock.now(), now=clock.now())
    db.commit()
    dispatch_once(app=app)
    assert len(calls(app)) == 1
    (call,) = db.exec(select(VoiceCall).where(VoiceCall.learner_id == asha.id)).all()
    kinds = [db.get(Prompt, pid).kind for pid in call.prompt_ids]
    assert kinds.count("question") == 1


def test_a_callback_is_never_held_back(app, db, clock, batching, learner):
    make_due(db, learner, [clock.now() - timedelta(minutes=1)])
    dispatch_once(app=app)
    assert calls(app) == []
    call = build_call(db, db.get(Learner, learner.id), now=clock.now(), purpose="callback", options=batching)
    assert call is not None and len(call.prompt_ids) == 1


def test_settings_and_the_default():
    options = VoiceOptions.from_config({"VOICE_MIN_QUESTIONS": "3", "VOICE_BATCH_WAIT_DAYS": "10"})
    assert (options.min_questions, options.batch_wait) == (3, timedelta(days=10))
    assert VoiceOptions().min_questions == 5 and VoiceOptions().batch_wait == timedelta(days=7)
    assert VoiceOptions(min_questions=9, max_questions=4).batch_questions == 4  # never more than a call carries
    assert VoiceOptions.from_config({}).min_questions == VoiceOptions().min_questions


def test_schedule_specs_set_batching_for_the_simulation():
    from app.learning.policy import Policy

    s = schedules.parse("fsrs:0.95:batch=3:wait=10", Policy())
    assert s.name == "fsrs-0.95-batch3-wait10"
    assert (s.voice.min_questions, s.voice.batch_wait) == (3, timedelta(days=10))
    assert schedules.parse("fixed:7:batch=1", Policy()).voice.min_questions == 1
    assert schedules.parse("fsrs:0.95", Policy()).voice == VoiceOptions()
    for bad in ("fsrs:0.95:batch=0", "fsrs:0.95:batch=6", "fsrs:0.95:batch=x"):
        with pytest.raises(ValueError):
            schedules.parse(bad, Policy())


def test_the_simulator_batches_calls_with_the_same_rule():
    from dataclasses import replace

    from app.learning.policy import Policy
    from app.simulation.compare import compare
    from app.simulation.runner import SimConfig

    cfg = SimConfig(learners=8, days=30, seed=2, checkpoints=(15, 30), voice_share=1.0)
    base = Policy(desired_retention=0.95, daily_cap=1, reminders=0)
    specs = ("fsrs:0.95:batch=1", "fsrs:0.95:batch=5:wait=7")
    one, five = compare([schedules.parse(s, base) for s in specs], replace(cfg), jobs=1)
    assert five.totals.calls < one.totals.calls  # fewer calls ...
    assert five.totals.answers / five.totals.calls > one.totals.answers / one.totals.calls  # ... fuller ones
    assert five.totals.voice_minutes < one.totals.voice_minutes

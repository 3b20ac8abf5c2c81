"""FSRS fitted to a pack's own answers: the fit, ``saathi fit``, the worker's refit, and
the engine scheduling with the fitted weights."""
from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from factories import app_policy, make_learners, make_module
from sqlmodel import select

from app.learning import fitting, srs
from app.learning.engine import grade_answer
from app.models import Answer, Card, Item, Pack, Prompt
from app.scheduling.dispatcher import refit_packs
from app.simulation.compare import compare
from app.simulation.runner import SimConfig
from app.simulation.schedules import parse

NOW = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def simulated_histories(learners=60, seed=3):
    """Every answer of a simulated cohort on the default schedule, as ``fitting.histories`` reads them."""
    from app.learning.policy import Policy

    cfg = SimConfig(learners=learners, seed=seed, days=60, keep_histories=True)
    (result,) = compare([parse("fsrs:0.95", Policy())], cfg, jobs=1)
    return result.totals.histories


def test_a_fit_predicts_the_learners_better_than_the_flashcard_defaults():
    histories = simulated_histories()
    fit = fitting.fit(histories)
    assert len(fit.parameters) == 21
    assert fit.answers == sum(len(h) for h in histories) > 2000
    assert fit.better and fit.log_loss_after < fit.log_loss_before - 0.01
    # These learners forget far faster than Anki users: a right first answer buys days, not weeks.
    assert fit.parameters[2] < srs.scheduler().parameters[2] / 2


def test_training_items_count_days_between_answers_and_skip_same_day_ends():
    day = datetime(2026, 3, 2, 10, tzinfo=UTC)
    history = [(day, True), (day + timedelta(hours=3), False), (day + timedelta(days=2), True),
               (day + timedelta(days=9, hours=1), True)]
    items = fitting.training_items([history])
    # The second answer came the same day: no item ends on it; the third and fourth do.
    assert [len(item.reviews) for item in items] == [3, 4]
    assert items[1].long_term_review_cnt() == 2


def test_fit_refuses_histories_with_nothing_to_learn():
    day = datetime(2026, 3, 2, 10, tzinfo=UTC)
    with pytest.raises(ValueError, match="nothing to learn"):
        fitting.fit([[(day, True)], [(day, False), (day + timedelta(hours=1), True)]])


def test_refit_rule_waits_for_answers_new_answers_and_a_week():
    want = fitting.refit_wanted
    assert not want(999, last_answers=0, last_fit=None, now=NOW)
    assert want(1000, last_answers=0, last_fit=None, now=NOW)
    assert not want(1800, last_answers=1000, last_fit=NOW - timedelta(days=30), now=NOW)  # too few new
    assert not want(5000, last_answers=1000, last_fit=NOW - timedelta(days=6), now=NOW)  # too soon
    assert want(5000, last_answers=1000, last_fit=NOW - timedelta(days=7), now=NOW)


def answered_pack(db, *, learners=40, seed=7):
    """A pack whose items 40 learners answered over two months, through the engine's own
    ``grade_answer``; each learner forgets on an exponential curve that a right answer stretches."""
    module = make_module(db)
    csv = "phone,name,site,language,cohort\n" + "".join(
        f"+9198765{n:05d},Learner {n},Andheri Mall,en,andheri-march\n" for n in range(learners))
    people = make_learners(db, NOW, csv)
    items = db.exec(select(Item).where(Item.module_id == module.id)).all()
    rng = random.Random(seed)
    policy = app_policy()
    for learner in people:
        for item in items:
            stability, last = 1.5, NOW
            for offset in (0, 1, 3, 7, 15, 30, 55):
                when = NOW + timedelta(days=offset, hours=rng.random() * 8)
                right = rng.random() < pow(0.9, (when - last).total_seconds() / 86400 / stability)
                prompt = Prompt(learner_id=learner.id, kind="review", status="pending", item_id=item.id, due_at=when,
                                last_sent_at=when)
                db.add(prompt)
                db.flush()
                grade_answer(db, learner=learner, prompt=prompt, choice=item.answer if right else item.answer % 3 + 1,
                             raw="1", now=when, policy=policy, channel="sms")
                stability, last = (stability * 2.5 if right else max(stability / 2, 0.5)), when
    db.commit()
    return db.exec(select(Pack)).one(), people, items


def test_saathi_fit_keeps_the_weights_and_the_engine_schedules_with_them(app, db, runner):
    pack, people, items = answered_pack(db)
    answers = len(db.exec(select(Answer)).all())

    dry = runner.invoke(args=["fit", "--min-reviews", "100", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"digital-banking: {answers} answers; log loss" in dry.output
    db.expire_all()
    assert db.get(Pack, pack.id).memory_parameters is None

    too_few = runner.invoke(args=["fit"])  # SAATHI_FIT_MIN_REVIEWS: 1000
    assert f"not fitted ({answers} answers, fewer than 1000)" in too_few.output

    result = runner.invoke(args=["fit", "--min-reviews", "100", "--pack", "digital-banking"])
    assert result.exit_code == 0, result.output
    assert "1 pack(s) now scheduled with their own fit." in result.output
    db.expire_all()
    pack = db.get(Pack, pack.id)
    assert len(pack.memory_parameters) == 21 and pack.memory_reviews == answers

    # The next answer to the pack is scheduled with the fitted weights, not the defaults: here
    # the first answer to an item added to the pack since.
    learner, when = people[0], NOW + timedelta(days=70)
    item = Item(module_id=items[0].module_id, slug="new-item", position=9, question={"en": "?"},
                options=[{"en": "a"}, {"en": "b"}, {"en": "c"}], answer=1, explanation={"en": "."})
    db.add(item)
    db.flush()
    before = None
    prompt = Prompt(learner_id=learner.id, kind="review", status="pending", item_id=item.id, due_at=when)
    db.add(prompt)
    db.flush()
    grade_answer(db, learner=learner, prompt=prompt, choice=item.answer, raw="1", now=when, policy=app_policy(),
                 channel="sms")
    card = db.exec(select(Card).where(Card.learner_id == learner.id, Card.item_id == item.id)).one()
    fitted = srs.review(before, correct=True, now=when, sched=app_policy().fitted(pack.memory_parameters).scheduler)
    default = srs.review(before, correct=True, now=when, sched=app_policy().scheduler)
    assert card.fsrs["stability"] == fitted["stability"] != default["stability"]

    unknown = runner.invoke(args=["fit", "--pack", "nope"])
    assert unknown.exit_code != 0 and "no pack nope" in unknown.output


def test_the_worker_refits_when_the_rule_says_so(app, db):
    app.config.update(FIT_MIN_REVIEWS=100, REFIT_EVERY=100)
    pack, _, _ = answered_pack(db, learners=12)
    later = NOW + timedelta(days=60)
    (outcome,) = refit_packs(app, now=later)
    assert outcome.pack == "digital-banking" and outcome.fit is not None
    db.expire_all()
    assert db.get(Pack, pack.id).memory_fitted_at == later
    assert refit_packs(app, now=later + timedelta(days=8)) == []  # no new answers since


def test_an_sms_answer_uses_the_packs_weights(app, db, twilio_post):
    """The webhook's path (one joined read, ``conversation.load``) carries the pack's weights."""
    from factories import fit_pack_for_a_short_first_stability, held_session

    from app.scheduling.dispatcher import dispatch_once

    asha = held_session(db, NOW)[0]
    fit_pack_for_a_short_first_stability(db)
    dispatch_once(app=app, now=NOW + timedelta(minutes=5))
    response = twilio_post("/twilio/sms", {"From": asha.phone, "Body": "2", "MessageSid": "SM" + "1" * 32})
    assert response.status_code == 200
    db.expire_all()
    card = db.exec(select(Card).where(Card.learner_id == asha.id)).one()
    assert card.reps == 1 and card.fsrs["stability"] == pytest.approx(0.05)

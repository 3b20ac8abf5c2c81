"""The simulated learners follow their published formulas, and behave as described."""
from __future__ import annotations

import math

import pytest

from app.simulation.learner_model import (
    MAX_HALF_LIFE_DAYS,
    MIN_HALF_LIFE_DAYS,
    ActivationModel,
    Behaviour,
    HalfLifeRegression,
    Learner,
    item_offset,
    memory_model,
)


def test_hlr_recall_is_two_to_the_minus_lag_over_half_life():
    model = HalfLifeRegression()
    memory = model.new(offset=0.3, t=2.0)
    model.expose(memory, 3.0, True)
    model.expose(memory, 5.0, True)
    model.expose(memory, 9.0, False)
    # Settles & Meeder: h = 2^(θ·x), x = (√(1+right), √(1+wrong), 1) plus the offsets.
    h = 2 ** (model.theta_right * math.sqrt(1 + 2) + model.theta_wrong * math.sqrt(1 + 1)
              + model.theta_bias + 0.3)
    assert model.half_life(memory) == pytest.approx(h)
    for lag in (0, 0.5, 4, 30):
        assert model.recall(memory, 9.0 + lag) == pytest.approx(2 ** (-lag / h))
    assert model.recall(memory, 9.0 + h) == pytest.approx(0.5)


def test_hlr_half_life_is_clipped_as_in_duolingos_code():
    model = HalfLifeRegression()
    assert model.half_life(model.new(offset=-40, t=0)) == MIN_HALF_LIFE_DAYS
    assert model.half_life(model.new(offset=40, t=0)) == MAX_HALF_LIFE_DAYS


def test_act_r_activation_decay_and_recall_follow_pavlik_and_anderson():
    model = ActivationModel(class_exposures=1, beta=0.2)
    memory = model.new(offset=0.1, t=0.0)
    model.expose(memory, 1.0, True)
    beta, traces = memory
    assert beta == pytest.approx(0.3)

    def age(t, t_i):
        return (t - t_i) * 86400 * model.h

    # The first trace decays at a; later ones at c·e^m + a, m the activation just before.
    assert traces[0][1] == model.a
    m1 = beta + math.log(age(1.0, 0.0) ** -model.a)
    assert traces[1][1] == pytest.approx(model.c * math.exp(m1) + model.a)
    t = 8.0
    m = beta + math.log(sum(age(t, t_i) ** -d_i for t_i, d_i in traces))
    assert model.activation(memory, t) == pytest.approx(m)
    assert model.recall(memory, t) == pytest.approx(1 / (1 + math.exp((model.tau - m) / model.s)))


def test_act_r_rewards_spacing_and_hlr_only_recency():
    """Four reviews in one week against four spread over seven weeks, recall at day 90."""
    massed, spaced = (1, 2, 3, 4), (1, 7, 21, 49)
    act_r = ActivationModel()
    results = {}
    for name, days in (("massed", massed), ("spaced", spaced)):
        memory = act_r.new(offset=0, t=0)
        for day in days:
            act_r.expose(memory, day, True)
        results[name] = act_r.recall(memory, 90)
    assert results["spaced"] > 1.5 * results["massed"]
    hlr = HalfLifeRegression()
    a, b = hlr.new(offset=0, t=0), hlr.new(offset=0, t=0)
    for day in massed:
        hlr.expose(a, day, True)
    for day in spaced:
        hlr.expose(b, day, True)
    assert hlr.half_life(a) == hlr.half_life(b)  # no spacing effect, only the last review counts


def test_forgetting_without_practice_and_learning_with_it():
    for name in ("hlr", "act-r"):
        model = memory_model(name)
        memory = model.new(offset=0, t=0)
        curve = [model.recall(memory, day) for day in (1, 7, 30, 90)]
        assert curve == sorted(curve, reverse=True) and curve[0] > 0.3 and curve[-1] < 0.1
        practised = model.new(offset=0, t=0)
        for day in (1, 4, 10, 25, 55):
            model.expose(practised, day, True)
        assert model.recall(practised, 90) > 3 * model.recall(memory, 90)


def test_unknown_model_is_refused():
    with pytest.raises(ValueError, match="hlr"):
        memory_model("fsrs")


def test_a_learner_who_forgot_guesses_one_in_k_and_one_who_remembers_rarely_slips():
    learner = Learner.draw(seed=7, index=3, behaviour=Behaviour())
    guesses = [learner.choose(0.0, answer=2, options=4) for _ in range(8000)]
    assert set(guesses) == {1, 2, 3, 4}
    assert guesses.count(2) / len(guesses) == pytest.approx(0.25, abs=0.02)
    known = [learner.choose(1.0, answer=2, options=4) for _ in range(8000)]
    slips = Behaviour().slip * 3 / 4  # a slip is a guess, right a quarter of the time
    assert 1 - known.count(2) / len(known) == pytest.approx(slips, abs=0.01)


def test_learners_are_drawn_from_their_own_seeded_stream():
    behaviour = Behaviour()
    first = [Learner.draw(1, i, behaviour) for i in range(2000)]
    again = Learner.draw(1, 1234, behaviour)
    assert (again.strength, again.response_rate, again.median_delay_minutes) == (
        first[1234].strength, first[1234].response_rate, first[1234].median_delay_minutes)
    assert Learner.draw(2, 1234, behaviour).strength != again.strength
    rarely = sum(learner.response_rate < 0.4 for learner in first) / len(first)
    assert rarely == pytest.approx(behaviour.rarely_share, abs=0.04)
    assert item_offset(1, "pack/module/item") == item_offset(1, "pack/module/item")

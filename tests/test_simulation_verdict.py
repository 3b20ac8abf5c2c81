"""The simulator as a judge: the verdict line, the worker's refit replayed without looking
ahead, and learner models plugged in from outside Saathi."""
from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta
from functools import partial

import pytest

from app.learning import fitting
from app.learning.policy import Policy
from app.simulation import refit
from app.simulation.compare import _whole_cohort, compare
from app.simulation.report import Verdict
from app.simulation.runner import SimConfig
from app.simulation.schedules import parse


def test_the_verdict_needs_as_many_items_and_the_goal_ratio():
    def verdict(ours, best):
        return Verdict(90, "HLR", (1, 2, 3), 15, ours, "every 7 days", best)

    met = verdict((8.4, 5.6), (8.1, 3.85))
    assert met.met and met.line() == (
        "Day 90, HLR (seeds 1, 2, 3): Saathi's default 8.4 of 15 items, 5.60 bought per 100 segments; "
        "best fixed (every 7 days) 8.1 of 15, 3.85: 1.45×. Goal (as many items, 1.3× bought): met.")
    assert not verdict((8.0, 5.6), (8.1, 3.85)).met  # remembers less
    assert not verdict((8.4, 4.9), (8.1, 3.85)).met  # 1.27×


def test_the_refit_learns_only_from_answers_before_it():
    cfg = SimConfig(learners=80, days=40, seed=2, checkpoints=(40,))
    schedule = parse("fsrs:0.95:fit", Policy())
    fitted = refit.refitted(schedule, cfg, _whole_cohort, min_reviews=500, every=500)
    fits = fitted.policy.card_scheduler.fits
    assert len(fits) >= 2
    on_two = refit.refitted(schedule, cfg, partial(_whole_cohort, jobs=2), min_reviews=500, every=500)
    assert [p.parameters for _, p in on_two.policy.card_scheduler.policies] == \
        [p.parameters for _, p in fitted.policy.card_scheduler.policies]  # whatever the processes
    assert all(b - a >= fitting.REFIT_GAP for a, b in itertools.pairwise(fits))
    # The first fit is what the worker would have fitted that night from the unfitted run's answers.
    plain = _whole_cohort(refit.with_policy(schedule, []), replace(cfg, keep_histories=True)).histories
    before = [kept for h in plain if (kept := [a for a in h if a[0] < fits[0]])]
    first = fitted.policy.card_scheduler.policies[0][1].parameters
    assert first == fitting.fit(before).parameters
    assert sum(map(len, before)) >= 500 > sum(len([a for a in h if a[0] < fits[0] - timedelta(days=1)]) for h in plain)


def test_a_refitted_schedule_remembers_more_than_the_flashcard_weights():
    cfg = SimConfig(learners=120, days=60, seed=21, checkpoints=(60,))
    plain, fitted = compare([parse("fsrs:0.95", Policy()), parse("fsrs:0.95:fit", Policy())], cfg, jobs=1)
    assert fitted.schedule.label == "FSRS, retention 0.95, refitted weekly"
    assert fitted.remembered[60] > plain.remembered[60]


def test_a_learner_model_from_outside_saathi(runner):
    result = runner.invoke(args=["simulate", "--learners", "12", "--days", "30", "--checkpoints", "30",
                                 "--model", "learner_models:PowerLawForgetting", "--model", "hlr", "--seed", "1,2",
                                 "--schedule", "none", "--schedule", "fsrs:0.85:fit", "--schedule", "fixed:7",
                                 "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "Learner model power-law, seed 2:" in result.output
    assert "Day 30, power-law (seeds 1, 2): Saathi's default" in result.output
    assert "Day 30, HLR (seeds 1, 2): Saathi's default" in result.output


@pytest.mark.parametrize("spec, message", [
    ("learner_models:NotAModel", "lacks recall, expose"),
    ("learner_models:Missing", "cannot load learner model"),
    ("no_such_module:Model", "cannot load learner model"),
    ("weibull", "unknown learner model 'weibull'"),
])
def test_a_broken_learner_model_is_named(runner, spec, message):
    result = runner.invoke(args=["simulate", "--model", spec, "--learners", "2", "--plot", "-"])
    assert result.exit_code != 0 and message in result.output


def test_the_oracle_reads_memories_and_skips_days_worth_too_little():
    cfg = SimConfig(learners=30, days=40, seed=4, checkpoints=(40,))
    eager, choosy = compare([parse("oracle:0", Policy()), parse("oracle:0.02", Policy())], cfg, jobs=1)
    assert eager.schedule.family == "oracle" and eager.schedule.label.startswith("oracle (reads memory)")
    assert choosy.segments_per_learner < eager.segments_per_learner
    assert choosy.totals.answers < eager.totals.answers
    with pytest.raises(ValueError, match="yardstick of the fast engine"):
        compare([parse("oracle:0.01", Policy())], cfg, jobs=1, engine="db")
    with pytest.raises(ValueError, match="items per segment"):
        parse("oracle:lots", Policy())

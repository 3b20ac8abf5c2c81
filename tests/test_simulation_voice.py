"""Voice learners in ``saathi simulate`` (app/simulation/voice.py)."""
from __future__ import annotations

import math
from dataclasses import replace
from datetime import timedelta

import pytest

from app.learning.policy import Policy
from app.simulation import voice
from app.simulation.compare import compare
from app.simulation.fast import FastSimulation
from app.simulation.learner_model import Learner
from app.simulation.rows import Prompt, State
from app.simulation.runner import SimConfig
from app.simulation.schedules import parse
from app.voice import texts as said
from app.voice.settings import VoiceOptions

CFG = SimConfig(learners=8, days=30, seed=2, checkpoints=(15, 30))
BASE = Policy(desired_retention=0.95, daily_cap=1, reminders=0)


def figures(results):
    return [(r.schedule.name, r.totals.segments, r.totals.by_purpose, r.totals.calls, r.totals.dials,
             r.totals.calls_answered, r.totals.voice_seconds, r.totals.voice_minutes, r.totals.answers,
             r.totals.correct, r.totals.per_learner, r.remembered) for r in results]


@pytest.fixture(scope="module")
def all_voice():
    schedules = [parse(spec, BASE) for spec in ("fsrs:0.95", "fixed:7")]
    return schedules, compare(schedules, replace(CFG, voice_share=1.0), jobs=1)


def test_the_call_size_is_the_voice_channels_own_limit():
    assert voice.OPTIONS.max_questions == VoiceOptions().max_questions


def test_no_voice_share_no_voice_learner():
    assert not any(voice.is_voice(1, i, 0.0) for i in range(200))
    assert all(voice.is_voice(1, i, 1.0) for i in range(200))
    some = sum(voice.is_voice(1, i, 0.3) for i in range(1000))
    assert 250 < some < 350


def test_voice_learners_get_calls_and_no_sms(all_voice):
    _schedules, results = all_voice
    for r in results:
        t = r.totals
        assert t.segments == 0 and t.messages == 0 and t.by_purpose == {}
        assert t.calls > 0 and t.dials >= t.calls > 0 and 0 < t.calls_answered <= t.calls
        assert t.voice_minutes > 0 and r.voice_minutes_per_learner > 0 and t.answers > 0
        # each answered call is billed its started minutes, never less than its seconds
        assert t.voice_seconds / 60 <= t.voice_minutes <= t.voice_seconds / 60 + t.calls_answered
        assert 0 < t.max_call_questions <= voice.OPTIONS.max_questions
        assert r.per_100_segments(30) is None and r.per_100_currency(30, _prices()) > 0


def _prices():
    from app.reports.costs import price_table

    return price_table({})["IN"]


def test_a_voice_run_is_the_same_for_a_seed_however_many_processes(all_voice):
    schedules, first = all_voice
    assert figures(compare(schedules, replace(CFG, voice_share=1.0), jobs=3)) == figures(first)
    other = compare(schedules, replace(CFG, voice_share=1.0, seed=3), jobs=1)
    assert figures(other) != figures(first)


def test_a_mixed_cohort_pays_for_both_channels():
    schedules = [parse("fsrs:0.95", BASE)]
    sms_only, = compare(schedules, CFG, jobs=1)
    mixed, = compare(schedules, replace(CFG, voice_share=0.5), jobs=1)
    assert sms_only.totals.calls == 0 and sms_only.totals.voice_minutes == 0
    assert 0 < mixed.totals.segments < sms_only.totals.segments
    assert mixed.totals.voice_minutes > 0
    assert mixed.cost_per_learner(_prices()) == pytest.approx(
        mixed.segments_per_learner * 0.25 + mixed.voice_minutes_per_learner * 0.60)


def sim_and_state(response_rate: float, cards: int = 8):
    sim = FastSimulation(parse("fsrs:0.95", BASE), replace(CFG, voice_share=1.0), range(1))
    learner = Learner.draw(CFG.seed, 0, CFG.behaviour)
    learner.response_rate = response_rate
    st = State(learner, "en")
    st.voice = True
    now = sim.ticks[60]  # a tick on the third day, inside the window
    for n, item in enumerate(list(sim.items.values())[:cards]):
        learner.memories[item.key] = sim.model.new(offset=0.0, t=0.0)
        st.cards[item.id] = [None, now - (cards - n) * 3_600_000_000, n]  # all due, most overdue first
    return sim, st, now, sim.midnights[60]


def test_a_call_carries_at_most_the_maximum_of_questions_most_overdue_first():
    sim, st, now, _ = sim_and_state(1.0)
    call = sim.voice.build(st, now)
    limit = VoiceOptions().max_questions
    assert call.questions == limit == len(call.prompts)
    assert [p.item.id for p in call.prompts] == list(st.cards)[:limit]
    assert st.pending is call.prompts[0]


def test_a_post_session_call_asks_the_quiz_and_the_rating_and_skips_the_comment():
    sim, st, now, midnight = sim_and_state(1.0, cards=3)
    held, key, items = sim.sessions[0]
    for item in items:
        st.learner.memories.setdefault(item.key, sim.model.new(offset=0.0, t=0.0))
    steps = [("greeting", None)] + [("question", i) for i in items] + [("rating", None), ("comment", None)]
    for seq, (kind, item) in enumerate(steps):
        st.ids += 1
        st.queue.append(Prompt(st.ids, kind, key, item, seq, held))
    sim.voice.tick(st, now, midnight)
    r = sim.result
    assert r.calls == r.dials == r.calls_answered == 1
    assert r.max_call_questions == len(items) == 5  # the quiz fills the call: no review added
    assert r.answers == len(items) and not st.queue and st.pending is None and st.call is None
    assert set(st.cards) >= {i.id for i in items}
    assert r.voice_minutes == math.ceil(r.voice_seconds / 60)
    # the next call comes call_gap after this one ended, and not today (the daily cap)
    assert st.next_contact >= now + to_us_delta(VoiceOptions().call_gap)
    assert st.capped_today == 1


def to_us_delta(delta: timedelta) -> int:
    return delta // timedelta(microseconds=1)


def test_an_unanswered_call_is_redialled_then_given_up_and_costs_nothing():
    sim, st, now, midnight = sim_and_state(0.0)
    sim.voice.tick(st, now, midnight)
    call = st.call
    assert call is not None and sim.result.dials == 1
    options = VoiceOptions()
    assert call.next_dial == now + to_us_delta(options.retry_after)
    sim.voice.tick(st, call.next_dial, midnight)
    assert call.next_dial == now + to_us_delta(options.retry_after * 3)  # 10 minutes, then 20 more
    sim.voice.tick(st, call.next_dial, midnight)
    r = sim.result
    assert r.dials == options.max_dials and r.calls == 1 and r.calls_answered == 0
    assert r.voice_seconds == 0 and r.voice_minutes == 0 and r.answers == 0
    assert st.call is None and st.pending is None
    assert st.next_contact > now + to_us_delta(timedelta(hours=12))  # the next day's window
    assert all(c[0] is None for c in st.cards.values())  # nothing graded: the cards stay due


def test_the_minute_estimate_is_words_at_the_speaking_rate_plus_the_keys():
    sim = sim_and_state(1.0)[0]
    goodbye = said.goodbye("en")  # "Thank you for learning with Saathi. Goodbye!"
    assert len(goodbye.split()) == 7
    assert sim.voice.seconds(("goodbye",), "en") == pytest.approx(7 * 60 / 150)
    hindi = said.goodbye("hi")
    assert sim.voice.seconds(("goodbye",), "hi") == pytest.approx(len(hindi.split()) * 60 / 130)
    item = next(iter(sim.items.values()))
    spoken = [item.row.question["en"]] + [said.option("en", n, o["en"]) for n, o in enumerate(item.row.options, 1)]
    assert sim.voice.seconds(("ask", "review", item.module, item, None), "en") == pytest.approx(
        sum(len(t.split()) for t in spoken) * 60 / 150)
    assert [voice.billed_minutes(s) for s in (0, 1, 59.9, 60, 60.1, 125)] == [0, 1, 1, 1, 2, 3]


def test_the_db_engine_refuses_voice_learners(runner):
    with pytest.raises(ValueError, match="SMS learners only"):
        compare([parse("fsrs:0.95", BASE)], replace(CFG, voice_share=0.5), jobs=1, engine="db")
    result = runner.invoke(args=["simulate", "--engine", "db", "--voice-share", "0.5", "--plot", "-"])
    assert result.exit_code != 0 and "SMS learners only" in result.output


def test_the_command_prints_voice_minutes_and_what_100_rupees_buy(runner):
    result = runner.invoke(args=["simulate", "--learners", "4", "--days", "20", "--checkpoints", "10,20",
                                 "--schedule", "fixed:7", "--voice-share", "1", "--jobs", "1", "--plot", "-"])
    assert result.exit_code == 0, result.output
    assert "per ₹100 (d20)" in result.output
    row = next(line for line in result.output.splitlines() if line.startswith("every 7 days"))
    assert row.split()[3] == "0.0" and float(row.split()[4]) > 0  # no segments, some minutes

"""WhatsApp learners in ``saathi simulate`` (app/simulation/whatsapp.py): Meta's 24-hour window."""
from __future__ import annotations

from dataclasses import replace

import pytest

from app.learning.policy import Policy
from app.reports.costs import price_table
from app.simulation import report, voice, whatsapp
from app.simulation.compare import compare
from app.simulation.fast import FastSimulation
from app.simulation.learner_model import Learner
from app.simulation.rows import State
from app.simulation.runner import SimConfig
from app.simulation.schedules import parse

CFG = SimConfig(learners=12, days=30, seed=2, checkpoints=(15, 30))
BASE = Policy(desired_retention=0.95, daily_cap=1, reminders=1)
INDIA = price_table({})["IN"]
HOUR = 3_600_000_000


def figures(results):
    return [(r.schedule.name, r.totals.segments, r.totals.wa_messages, r.totals.wa_templates, r.totals.answers,
             r.totals.correct, r.totals.per_learner, r.totals.learner_costs, r.remembered) for r in results]


@pytest.fixture(scope="module")
def all_whatsapp():
    schedules = [parse(spec, BASE) for spec in ("fsrs:0.95", "fixed:7", "none")]
    return schedules, compare(schedules, replace(CFG, whatsapp_share=1.0), jobs=1)


def test_the_whatsapp_share_takes_learners_from_sms_never_from_voice():
    for i in range(300):
        alone = voice.is_voice(4, i, 0.3)
        assert (whatsapp.channel_of(4, i, 0.3, 0.5) == "voice") == alone
        assert whatsapp.channel_of(4, i, 0.0, 0.0) == "sms"
    shares = [whatsapp.channel_of(4, i, 0.2, 0.5) for i in range(2000)]
    assert 850 < shares.count("whatsapp") < 1150 and 300 < shares.count("voice") < 500


def test_whatsapp_learners_get_no_sms_and_pay_for_templates_outside_the_window(all_whatsapp):
    _, results = all_whatsapp
    for r in results[:2]:
        t = r.totals
        assert t.segments == 0 and t.calls == 0 and t.answers > 0
        assert 0 < t.wa_templates < t.wa_messages == t.messages
        # Meta's template price on the templates, the provider's fee on every message
        assert r.cost_per_learner(INDIA) == pytest.approx(
            (t.wa_templates * INDIA.whatsapp_template + t.wa_messages * INDIA.whatsapp_message) / t.learners)
        assert r.per_100_currency(30, INDIA) > 0 and r.per_100_segments(30) is None
        assert {c for c, *_ in t.learner_costs} == {"whatsapp"} and len(t.learner_costs) == CFG.learners
        assert sum(u[3] for u in t.learner_costs) == t.wa_messages
    assert results[2].totals.wa_messages == 0


def test_a_whatsapp_run_is_the_same_for_a_seed_however_many_processes(all_whatsapp):
    schedules, first = all_whatsapp
    assert figures(compare(schedules, replace(CFG, whatsapp_share=1.0), jobs=3)) == figures(first)


def test_an_sms_cohort_is_unchanged_by_the_whatsapp_machinery():
    """Learners left on SMS draw the same numbers with or without WhatsApp learners beside them."""
    schedules = [parse("fsrs:0.95", BASE)]
    sms, = compare(schedules, CFG, jobs=1)
    mixed, = compare(schedules, replace(CFG, whatsapp_share=0.5), jobs=1)
    on_sms = [i for i, (c, *_) in enumerate(mixed.totals.learner_costs) if c == "sms"]
    assert 0 < len(on_sms) < CFG.learners
    for i in on_sms:
        assert mixed.totals.learner_costs[i] == sms.totals.learner_costs[i]
        assert mixed.totals.per_learner[30][i] == sms.totals.per_learner[30][i]


def sim_and_state(response_rate: float, *, keeps_going: float = 1.0):
    sim = FastSimulation(parse("fsrs:0.95", BASE), replace(CFG, whatsapp_share=1.0), range(1))
    learner = Learner.draw(CFG.seed, 0, CFG.behaviour)
    learner.response_rate = response_rate
    learner.behaviour = replace(learner.behaviour, keep_going=keeps_going)
    st = State(learner, "en")
    st.channel = "whatsapp"
    now = sim.ticks[60]
    item = next(iter(sim.items.values()))
    learner.memories[item.key] = sim.model.new(offset=0.0, t=0.0)
    st.cards[item.id] = [None, now - HOUR, 0]
    return sim, st, now, sim.midnights[60]


def test_a_review_outside_the_window_goes_as_a_template_and_the_reply_opens_it():
    sim, st, now, midnight = sim_and_state(1.0)
    assert sim._plan(st, now, midnight)
    r = sim.result
    assert r.wa_messages == r.wa_templates == 1 and st.wa_shown is None  # the question is not in it
    sim._look(st, chained=False)
    when, _ = st.reply
    sim._reply(st)
    # the reply to a template is no answer: the window opens and the question goes, free
    assert r.answers == 0 and st.pending is not None
    assert r.wa_messages == 2 and r.wa_templates == 1
    assert st.wa_shown == when and st.wa_open_until == when + whatsapp.WINDOW_US
    sim._look(st, chained=True)
    sim._reply(st)
    assert r.answers == 1 and st.pending is None
    assert r.wa_messages == 3 and r.wa_templates == 1  # the verdict, inside the window


def test_inside_the_window_a_review_is_a_free_message_with_the_question():
    sim, st, now, midnight = sim_and_state(1.0)
    whatsapp.opened(st, now - HOUR)
    assert sim._plan(st, now, midnight)
    assert sim.result.wa_messages == 1 and sim.result.wa_templates == 0 and st.wa_shown == now


def test_a_learner_who_never_replies_gets_only_templates_and_no_question():
    sim, st, now, midnight = sim_and_state(0.0, keeps_going=0.0)
    sim._plan(st, now, midnight)
    later = now + sim.reminder_after + HOUR
    sim._plan(st, later, sim.midnights[60] + 86_400_000_000)  # the reminder: a template again
    r = sim.result
    assert r.wa_messages == r.wa_templates == 2 and st.wa_shown is None and r.answers == 0


def test_the_tables_put_sms_voice_and_whatsapp_side_by_side_in_the_countrys_money():
    schedules = [parse(spec, BASE) for spec in ("fsrs:0.95", "none")]
    results = compare(schedules, replace(CFG, learners=30, voice_share=0.3, whatsapp_share=0.4), jobs=1)
    table = report.channel_rows(results, INDIA)
    assert table[0][:2] == ["schedule", "channel"]
    assert [row[1] for row in table[1:]] == ["sms", "voice", "whatsapp"]
    assert all(row[3].startswith("₹") for row in table[1:])
    norway = price_table({})["NO"]
    head = report.rows(results, norway)[0]
    assert "cost (NOK)" in head and "WhatsApp (templates)" in head and any("NOK100" in h for h in head)
    assert report.channel_rows(compare(schedules[:1], CFG, jobs=1), INDIA) is None  # SMS alone


def test_both_engines_agree_on_whatsapp_learners():
    """The db engine sends through the real WhatsApp channel (templates outside the window, the
    question after the learner's reply, replies queued as WhatsApp rows); the fast engine
    replays it: the same messages, templates, answers and memories, learner by learner."""
    schedules = [parse(spec, BASE) for spec in ("fsrs:0.95", "fixed:7")]
    cfg = replace(CFG, learners=8, days=21, checkpoints=(10, 21), whatsapp_share=0.5)
    fast, db = compare(schedules, cfg, jobs=1), compare(schedules, cfg, jobs=1, engine="db")
    for f, d in zip(fast, db):
        assert f.totals.wa_templates > 0 and {c for c, *_ in f.totals.learner_costs} == {"sms", "whatsapp"}
        for name in ("segments", "messages", "wa_messages", "wa_templates", "answers", "correct", "learner_costs",
                     "per_learner"):
            assert getattr(f.totals, name) == getattr(d.totals, name), name
        assert f.remembered == d.remembered


def test_the_shares_cannot_add_up_to_more_than_everyone(runner):
    result = runner.invoke(args=["simulate", "--voice-share", "0.6", "--whatsapp-share", "0.6", "--plot", "-"])
    assert result.exit_code != 0 and "more than all learners" in result.output


def test_the_command_compares_the_channels(runner):
    result = runner.invoke(args=["simulate", "--learners", "20", "--days", "20", "--checkpoints", "10,20",
                                 "--schedule", "fixed:7", "--schedule", "none", "--voice-share", "0.3",
                                 "--whatsapp-share", "0.4", "--country", "NL", "--jobs", "1", "--plot", "-"])
    assert result.exit_code == 0, result.output
    assert "By channel" in result.output and "per €100 (d20)" in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("every 7 days")]
    assert {line.split()[3] for line in lines[1:]} == {"sms", "voice", "whatsapp"}
    assert all("€" in line for line in lines[1:])

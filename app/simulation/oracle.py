"""A yardstick, not a schedule: reviews chosen by someone who can read each learner's memory.

No real scheduler knows what a learner remembers; this one asks the learner model that
grades the schedules. Each day it reviews, for each learner, the item whose review adds
the most expected recall at the last checkpoint per segment it costs (the question, then
the verdict a right or a wrong answer brings, weighed by how likely each is), and sends
nothing that day when even the best adds less than ``threshold`` items per segment. It is
greedy (one review ahead) but knows exactly what the models reward, so it shows roughly how
far any schedule could get under the same daily cap: if it cannot beat a fixed schedule by
some margin, no schedule that has to guess will (docs/learning.md, "How far spacing can go").
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

from app.simulation.rows import Prompt


@dataclass(frozen=True)
class Oracle:
    threshold: float  # extra items remembered at the horizon per segment, below which a day is skipped
    slip: float = 0.03  # as ``Behaviour.slip``: the oracle knows the learners' habits too

    def choose(self, sim, st, now: int) -> int | None:
        """The item to review now, or None to leave the learner alone today."""
        t = (now - sim.start) / 10**6 / 86400
        horizon = max(day for _, day in sim.checkpoints)
        if t >= horizon:
            return None
        best, chosen = self.threshold, None
        for item_id in st.cards:
            value = self.gain(sim, st, sim.items[item_id], t, horizon) / self.cost(sim, st, sim.items[item_id], t)
            if value >= best:
                best, chosen = value, item_id
        return chosen

    def right_chance(self, sim, st, item, t: float) -> float:
        recall = sim.model.recall(st.learner.memories[item.key], t) * (1 - self.slip)
        return recall + (1 - recall) / item.options

    def gain(self, sim, st, item, t: float, horizon: float) -> float:
        """Expected extra recall at the horizon from a review now (nothing if no reply)."""
        memory, model = st.learner.memories[item.key], sim.model
        right = self.right_chance(sim, st, item, t)
        outcomes = []
        for correct in (True, False):
            after = copy.deepcopy(memory)
            model.expose(after, t, correct)
            outcomes.append(model.recall(after, horizon))
        expected = right * outcomes[0] + (1 - right) * outcomes[1]
        return st.learner.response_rate * (expected - model.recall(memory, horizon))

    def cost(self, sim, st, item, t: float) -> float:
        texts, lang = sim.texts, st.lang
        question = texts.segments(texts.body(Prompt(0, "review", item.module, item, None, 0), lang))
        right = self.right_chance(sim, st, item, t)
        verdict = (right * texts.segments(texts.said("correct", lang))
                   + (1 - right) * texts.segments(texts.said("wrong", lang, item)))
        return question + st.learner.response_rate * verdict

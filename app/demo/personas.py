"""The demo's simulated learners: what each one remembers, and what they text back.

Habits come from ``app.simulation.learner_model`` (the memory model and phone behaviour
``saathi simulate`` grades schedules with), seeded per learner so every demo is the same;
the script in ``programme`` then bends a few of them (keen, reluctant, a low mood). Memory
is kept per item: taught in class, strengthened by every answer, fading in between, so
the dashboard's retention curve comes out of the schedule the engine really ran.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from app.demo.programme import COMMENTS, DemoLearner
from app.simulation.learner_model import Behaviour, HalfLifeRegression, Learner, item_offset, offset

MODEL = HalfLifeRegression()
# A demo cohort is small: fewer near-silent learners than the simulator's default share.
BEHAVIOUR = Behaviour(rarely_share=0.1, median_delay_minutes=25.0)
DEVANAGARI_DIGITS = "०१२३४५६७८९"


@dataclass(frozen=True)
class ItemFacts:
    """What a learner's answer depends on: which item, its right option, how many options."""

    key: str
    answer: int
    options: int


@dataclass
class Persona:
    spec: DemoLearner
    sim: Learner
    seed: int
    memories: dict = field(default_factory=dict)  # item key -> memory model state
    comments: int = 0

    @classmethod
    def draw(cls, spec: DemoLearner, *, index: int, seed: int) -> Persona:
        sim = Learner.draw(seed, index, BEHAVIOUR)
        if spec.keen:
            sim.response_rate, sim.median_delay_minutes = 0.97, 6.0
            sim.strength = max(sim.strength, 0.8)
        elif spec.reluctant:
            sim.response_rate = min(sim.response_rate, 0.35)
        return cls(spec=spec, sim=sim, seed=seed)

    # -- in class ------------------------------------------------------------------------
    def learn(self, keys, t: float) -> None:
        """Sit the session at day ``t``: each of the module's items is taught once."""
        for key in keys:
            z = item_offset(self.seed, key)
            self.memories[key] = MODEL.new(offset=offset(MODEL, self.sim, z), t=t)

    # -- on the phone --------------------------------------------------------------------
    def replies(self) -> bool:
        return self.sim.replies()

    def keeps_going(self) -> bool:
        return self.sim.keeps_going()

    def delay_days(self) -> float:
        return self.sim.delay_days()

    def choose(self, item: ItemFacts, t: float) -> int:
        memory = self.memories.get(item.key)
        recall = MODEL.recall(memory, t) if memory is not None else 0.0
        return self.sim.choose(recall, item.answer, item.options)

    def answered(self, item: ItemFacts, t: float, correct: bool) -> None:
        """An answer is an exposure: a wrong one is followed by Saathi's explanation."""
        if item.key in self.memories:
            MODEL.expose(self.memories[item.key], t, correct)

    def digits(self, number: int) -> str:
        """The number as typed: now and then in Devanagari by a Hindi speaker."""
        if self.spec.language == "hi" and self.sim.rng.random() < 0.25:
            return "".join(DEVANAGARI_DIGITS[int(d)] for d in str(number))
        return str(number)

    def rating(self) -> int:
        if self.spec.mood is not None:
            return max(1, min(5, self.spec.mood + self.sim.rng.choice((-1, 0, 0, 0))))
        return self.sim.rng.choice((3, 4, 4, 4, 5, 5, 5))

    def comment(self) -> str:
        """A comment in their language, or "0" (no comment) as most people send."""
        self.comments += 1
        if self.spec.testimonial and self.comments == 1:
            return self.spec.testimonial
        keen = self.spec.keen or self.spec.mood is not None
        if self.sim.rng.random() < (0.6 if keen else 0.25):
            choices = COMMENTS.get(self.spec.language) or COMMENTS["en"]
            if self.spec.mood is not None and self.spec.mood <= 2:
                return choices[1]  # every language's second comment is a complaint
            return self.sim.rng.choice(choices)
        return "0"

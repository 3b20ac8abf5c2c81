"""Simulated learners: how they forget, whether they answer, how they guess.

Schedules are graded by a memory model that is *not* FSRS: grading FSRS with its own
exam would tell us nothing. Two published models are offered, because they disagree on
the one thing a schedule controls, the timing of reviews:

``hlr`` — half-life regression (Settles & Meeder, "A Trainable Spaced Repetition Model
for Language Learning", ACL 2016; the features of Duolingo's published code,
github.com/duolingo/halflife-regression)::

    p = 2 ** (-Δ / h)                 Δ = days since the item was last seen
    h = 2 ** (θ · x)                  x = (√(1 + right), √(1 + wrong), 1)
                                          + learner and item offsets

  Half-life grows with every right answer, whenever it was given: the model has no
  spacing effect, only recency. Half-lives are clipped to [15 min, 274 days] as in
  Duolingo's code.

``act-r`` — the activation model of the spacing effect (Pavlik & Anderson, "Practice and
forgetting effects on vocabulary memory: an activation-based model of the spacing
effect", Cognitive Science 29(4), 2005)::

    m(t) = β + ln Σ_i (h · (t - t_i)) ** (-d_i)      t - t_i in seconds
    d_i  = c · exp(m(t_i)) + a                        decay set by activation at exposure i
    p    = 1 / (1 + exp((τ - m) / s))

  Each exposure adds a trace that decays as a power of its age; an exposure made while
  the item is still strongly active decays fast, so massed reviews buy little (the
  spacing effect). a, c, τ, s and h are the paper's fitted values; β (the learner's and
  the item's offsets) sets how well this material is learned in the first place.

Neither model was fitted to Saathi's learners; the offsets below are assumptions, stated
in docs/learning.md. What the models add on top of memory is the same for both
(``Behaviour``): a learner replies to a message with a personal probability (one in five
rarely replies at all), after a personal delay; one who does not recall an item guesses
among its k options (right 1 in k times); one who does recall slips now and then. Every
answer is an exposure: a wrong one is followed by Saathi's explanation.
"""
from __future__ import annotations

import importlib
import math
import random
from dataclasses import dataclass, field

MIN_HALF_LIFE_DAYS = 15.0 / (24 * 60)  # Duolingo's clip: 15 minutes ...
MAX_HALF_LIFE_DAYS = 274.0  # ... to 9 months
SECONDS_PER_DAY = 86400.0


@dataclass(frozen=True)
class HalfLifeRegression:
    """Settles & Meeder (2016). The weights are ours, not Duolingo's (theirs describe
    vocabulary in an app): after the classroom session and a right quiz answer an average
    learner's half-life is about six days; five right answers make it about five weeks
    (see docs/learning.md)."""

    name: str = "hlr"
    theta_right: float = 2.5
    theta_wrong: float = -0.4
    theta_bias: float = -0.5
    learner_sd: float = 0.6  # log2 half-life units
    item_sd: float = 0.4

    def new(self, *, offset: float, t: float) -> list:
        """An item just taught in class at day ``t``: [offset, right, wrong, last seen]."""
        return [offset, 0, 0, t]

    def half_life(self, memory: list) -> float:
        offset, right, wrong, _ = memory
        exponent = (self.theta_right * math.sqrt(1 + right) + self.theta_wrong * math.sqrt(1 + wrong)
                    + self.theta_bias + offset)
        return min(max(2.0 ** exponent, MIN_HALF_LIFE_DAYS), MAX_HALF_LIFE_DAYS)

    def recall(self, memory: list, t: float) -> float:
        """Probability of recall at day ``t``."""
        return 2.0 ** (-max(t - memory[3], 0.0) / self.half_life(memory))

    def expose(self, memory: list, t: float, correct: bool) -> None:
        memory[1 if correct else 2] += 1
        memory[3] = t


@dataclass(frozen=True)
class ActivationModel:
    """Pavlik & Anderson (2005), with β = ``beta`` + learner and item offsets."""

    name: str = "act-r"
    a: float = 0.177
    c: float = 0.217
    tau: float = -0.704
    s: float = 0.255
    h: float = 0.025  # psychological time per real second (between sessions)
    beta: float = 0.6
    learner_sd: float = 0.2  # activation units
    item_sd: float = 0.12
    class_exposures: int = 2  # the lesson and the in-class exercise, 15 minutes apart

    def new(self, *, offset: float, t: float) -> list:
        """An item just taught in class at day ``t``: [β, [(t_i, d_i), ...]]."""
        memory = [self.beta + offset, []]
        for k in range(self.class_exposures):
            self.expose(memory, t - (self.class_exposures - 1 - k) * 15 / 1440, True)
        return memory

    def activation(self, memory: list, t: float) -> float:
        beta, traces = memory
        total = 0.0
        for t_i, d_i in traces:
            age = max((t - t_i) * SECONDS_PER_DAY * self.h, 1.0)
            total += age ** -d_i
        return beta + math.log(total) if total > 0 else -math.inf

    def recall(self, memory: list, t: float) -> float:
        m = self.activation(memory, t)
        if m == -math.inf:
            return 0.0
        z = (self.tau - m) / self.s
        return 0.0 if z > 700 else 1.0 / (1.0 + math.exp(z))

    def expose(self, memory: list, t: float, correct: bool) -> None:
        m = self.activation(memory, t)
        decay = self.a if m == -math.inf else self.c * math.exp(m) + self.a
        memory[1].append((t, decay))


MODELS = {"hlr": HalfLifeRegression, "act-r": ActivationModel}
# What a learner model must have (docs/learning.md, "Your own learner model").
INTERFACE = ("name", "learner_sd", "item_sd", "new", "recall", "expose")


def memory_model(name: str):
    """A built-in model by name, or anyone's as ``package.module:Class`` (made with no
    arguments), so a programme can grade schedules with its own model without editing Saathi."""
    if name in MODELS:
        return MODELS[name]()
    if ":" not in name:
        raise ValueError(f"unknown learner model {name!r} (use {', '.join(MODELS)} or package.module:Class)")
    module_name, _, attr = name.partition(":")
    try:
        model = getattr(importlib.import_module(module_name), attr)()
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"cannot load learner model {name!r}: {exc}") from None
    missing = [a for a in INTERFACE if not hasattr(model, a)]
    if missing:
        raise ValueError(f"learner model {name!r} lacks {', '.join(missing)} (docs/learning.md lists what a "
                         "model needs)")
    return model


def display_name(name: str) -> str:
    """How verdict lines name a model: HLR, ACT-R, or a plug-in's ``name``."""
    return {"hlr": "HLR", "act-r": "ACT-R"}.get(name) or str(memory_model(name).name)


@dataclass(frozen=True)
class Behaviour:
    """How simulated learners use their phones (the same under every memory model)."""

    rarely_share: float = 0.2  # learners who rarely reply at all ...
    rarely_rate: tuple = (1.5, 8.5)  # ... reply with a Beta(1.5, 8.5) probability (mean 0.15)
    usual_rate: tuple = (9.0, 2.0)  # everyone else: Beta(9, 2) (mean 0.82)
    median_delay_minutes: float = 20.0  # a typical learner's typical delay ...
    delay_spread: float = 0.7  # ... varies between learners (log-normal sigma)
    delay_sigma: float = 1.0  # ... and between messages
    max_delay_hours: float = 23.0
    keep_going: float = 0.9  # answers the next quiz question straight away
    slip: float = 0.03  # recalls the item but sends the wrong number


@dataclass
class Learner:
    """One simulated learner: traits drawn once, then a private random stream.

    Every draw comes from the learner's own ``random.Random`` seeded by (seed, index), so a
    learner behaves the same whichever process or shard simulates them, and the same
    learner meets every schedule (common random numbers make the comparison fairer).
    """

    index: int
    rng: random.Random
    strength: float  # standard normal: the learner's memory, relative to the average
    response_rate: float
    median_delay_minutes: float
    behaviour: Behaviour
    memories: dict = field(default_factory=dict)  # item key -> memory model state

    @classmethod
    def draw(cls, seed: int, index: int, behaviour: Behaviour) -> Learner:
        rng = random.Random(f"saathi-sim:{seed}:learner:{index}")
        rarely = rng.random() < behaviour.rarely_share
        rate = rng.betavariate(*(behaviour.rarely_rate if rarely else behaviour.usual_rate))
        delay = behaviour.median_delay_minutes * math.exp(rng.gauss(0, behaviour.delay_spread))
        return cls(index=index, rng=rng, strength=rng.gauss(0, 1), response_rate=rate,
                   median_delay_minutes=delay, behaviour=behaviour)

    def replies(self) -> bool:
        return self.rng.random() < self.response_rate

    def delay_days(self) -> float:
        minutes = self.median_delay_minutes * math.exp(self.rng.gauss(0, self.behaviour.delay_sigma))
        return min(minutes, self.behaviour.max_delay_hours * 60) / 1440

    def keeps_going(self) -> bool:
        return self.rng.random() < self.behaviour.keep_going

    def choose(self, recall: float, answer: int, options: int) -> int:
        """The option number sent: the right one if recalled (bar a slip), else a guess."""
        if self.rng.random() < recall and self.rng.random() >= self.behaviour.slip:
            return answer
        return self.rng.randint(1, options)


def item_offset(seed: int, key: str) -> float:
    """How much easier than average an item is (standard normal), the same for everyone."""
    return random.Random(f"saathi-sim:{seed}:item:{key}").gauss(0, 1)


def offset(model, learner: Learner, item_z: float) -> float:
    """The memory-model offset for this learner and item, in the model's own units."""
    return model.learner_sd * learner.strength + model.item_sd * item_z

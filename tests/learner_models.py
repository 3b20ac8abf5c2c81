"""A learner model from outside Saathi, as a programme would plug in its own
(``saathi simulate --model learner_models:PowerLawForgetting``; docs/learning.md)."""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class PowerLawForgetting:
    """Wixted & Ebbesen (1991): recall falls as a power of the days since an item was last
    seen, p = (1 + Δ)^(−d); every exposure slows forgetting (d shrinks by ``gain``), a
    right answer more than a wrong one. Offsets make some learners and items decay slower."""

    name: str = "power-law"
    learner_sd: float = 0.3
    item_sd: float = 0.2
    decay: float = 0.9
    gain_right: float = 0.7
    gain_wrong: float = 0.85

    def new(self, *, offset: float, t: float) -> list:
        """Taught in class at day ``t``: [offset, decay exponent, last seen]."""
        return [offset, self.decay, t]

    def recall(self, memory: list, t: float) -> float:
        offset, decay, last = memory
        return (1 + max(t - last, 0.0)) ** -(decay * math.exp(-offset))

    def expose(self, memory: list, t: float, correct: bool) -> None:
        memory[1] *= self.gain_right if correct else self.gain_wrong
        memory[2] = t


class NotAModel:
    """Lacks recall and expose: the simulator says so instead of failing mid-run."""

    name = "broken"
    learner_sd = item_sd = 0.0

    def new(self, *, offset: float, t: float) -> list:
        return [offset]

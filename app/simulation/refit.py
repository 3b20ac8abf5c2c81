"""The worker's refit, replayed: FSRS fitted to the cohort's own answers as they come in.

A new programme starts on FSRS's default weights; once its pack has enough answers the
worker fits FSRS to them (``fitting.refit_due``, at most weekly) and every later card update
uses the fit. Simulated honestly, a fit on day d may only learn from answers given before
day d, by the same learners, under the weights in force until then. The simulation is
deterministic, so one run under the fits found so far shows the answers up to the next
refit exactly as they would have been: each round runs the cohort once, finds the first day
the worker's rule (``fitting.refit_wanted``) fires after the last fit, fits the answers
before that day with the real ``fitting.fit``, and adds the weights from then on.
"""
from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from app.learning import fitting
from app.learning.policy import Policy
from app.simulation.runner import SimConfig
from app.simulation.schedules import Schedule


@dataclass(frozen=True, eq=False)
class Refitted:
    """A card scheduler: FSRS with the weights of the latest fit made before the answer."""

    policies: tuple[tuple[datetime, Policy], ...]  # (fitted at, the policy with those weights), oldest first
    base: Policy

    def review(self, state: dict | None, *, correct: bool, now: datetime) -> dict:
        policy = self.base
        for fitted_at, fitted in self.policies:
            if fitted_at > now:
                break
            policy = fitted
        return policy.review(state, correct=correct, now=now)

    @property
    def fits(self) -> list[datetime]:
        return [at for at, _ in self.policies]


def with_policy(schedule: Schedule, fits: list[tuple[datetime, tuple]]) -> Schedule:
    base = replace(schedule.policy, card_scheduler=None, parameters=None)
    scheduler = Refitted(tuple((at, base.fitted(p)) for at, p in fits), base)
    return replace(schedule, policy=replace(base, card_scheduler=scheduler))


def refitted(schedule: Schedule, cfg: SimConfig, run, *, min_reviews: int = fitting.MIN_REVIEWS,
             every: int = fitting.REFIT_EVERY) -> Schedule:
    """The schedule with the fits the worker would have made; ``run(schedule, cfg)`` runs a
    cohort (all learners) and returns its ``ShardResult``."""
    fits: list[tuple[datetime, tuple]] = []
    last_answers, last_fit, tried = 0, None, None
    days = [cfg.start + timedelta(days=d, hours=2) for d in range(1, cfg.days)]  # the worker's nightly check
    while True:
        current = with_policy(schedule, fits)
        histories = run(current, replace(cfg, keep_histories=True)).histories
        answered = sorted(when for history in histories for when, _ in history)
        found = None
        for day in days:
            if tried is not None and day <= tried:
                continue
            count = bisect_left(answered, day)  # answers before that night
            if fitting.refit_wanted(count, last_answers=last_answers, last_fit=last_fit, now=day,
                                    min_reviews=min_reviews, every=every):
                found = day, count
                break
        if found is None:
            return current
        day, count = found
        tried = day
        try:
            result = fitting.fit([kept for h in histories if (kept := [a for a in h if a[0] < day])])
        except ValueError:  # nothing to learn from yet: fit_pack keeps nothing, the worker tries again
            continue
        last_answers, last_fit = count, day  # a fit no better than the weights in use counts too, as in fit_pack
        if result.better:
            fits.append((day, result.parameters))


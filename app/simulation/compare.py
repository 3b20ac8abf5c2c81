"""Several schedules, one cohort of simulated learners, side by side.

Each schedule's cohort is split into ``jobs`` shards run in parallel processes (each on
its own throwaway database with the ``db`` engine). Learners do not interact and each
has a private random stream, and recall is summed exactly (``math.fsum``), so the
figures are the same for a seed whatever the number of jobs, and the same with either
engine (``fast`` replays the planner's rules in memory, ``db`` runs them; see fast.py).
"""
from __future__ import annotations

import math
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from multiprocessing import get_context

from babel.numbers import get_currency_symbol

from app.reports import costs
from app.simulation import fast, refit, world
from app.simulation.runner import ShardResult, SimConfig, run_shard
from app.simulation.schedules import Schedule


@dataclass(frozen=True)
class Prices:
    """A country's entry of the price table (``app/reports/costs.py``, ``SAATHI_PRICES``) as the
    simulator's tables show it, with the currency's symbol."""

    currency: str = "₹"
    per_segment: float = 0.25
    per_minute: float = 0.60
    per_template: float = 0.12
    provider_fee: float = 0.42

    @classmethod
    def of(cls, price: costs.Price) -> Prices:
        symbol = get_currency_symbol(price.currency, locale="en")
        return cls(symbol if symbol != price.currency else symbol + " ", price.sms_segment, price.voice_minute,
                   price.whatsapp_template, price.whatsapp_message)

    def whatsapp(self, templates: float, messages: float) -> float:
        """The WhatsApp bill for ``templates`` utility templates among ``messages`` sent."""
        return templates * self.per_template + messages * self.provider_fee


def country_prices(config=None) -> dict[str, Prices]:
    """The price table (``SAATHI_PRICES`` from ``config``, else the defaults), per country."""
    return {country: Prices.of(price) for country, price in costs.price_table(config or {}).items()}


COUNTRY_PRICES = country_prices()  # the defaults, for tests and the simulator's own defaults


@dataclass
class ScheduleResult:
    schedule: Schedule
    cfg: SimConfig
    totals: ShardResult
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    remembered: dict[int, float] = field(default_factory=dict)  # day -> items per learner

    @property
    def learners(self) -> int:
        return self.totals.learners

    @property
    def segments_per_learner(self) -> float:
        return self.totals.segments / self.learners

    @property
    def voice_minutes_per_learner(self) -> float:
        """Billed voice minutes: each answered call rounded up to a whole minute (voice.py)."""
        return self.totals.voice_minutes / self.learners

    def cost_per_learner(self, prices: Prices) -> float:
        return self.segments_per_learner * prices.per_segment + self.voice_minutes_per_learner * prices.per_minute

    def per_100_currency(self, day: int, prices: Prices) -> float | None:
        """Items remembered at ``day`` per 100 units of money spent on SMS and calls together:
        the comparison that holds across channels (None when nothing was spent)."""
        cost = self.cost_per_learner(prices)
        return 100 * self.remembered[day] / cost if cost else None

    def per_100_segments(self, day: int) -> float | None:
        """Items remembered at ``day`` per 100 segments sent (None when nothing was sent)."""
        segments = self.segments_per_learner
        return 100 * self.remembered[day] / segments if segments else None

    def bought_per_100_segments(self, day: int, baseline: ScheduleResult | None) -> float | None:
        """Items remembered at ``day`` beyond the classroom alone, per 100 segments."""
        segments = self.segments_per_learner
        if not segments or baseline is None:
            return None
        return 100 * (self.remembered[day] - baseline.remembered[day]) / segments

    @property
    def rare_share(self) -> float | None:
        """Share of segments spent on learners who rarely reply."""
        return self.totals.rare_segments / self.totals.segments if self.totals.segments else None

    @property
    def answer_share(self) -> float | None:
        return self.totals.correct / self.totals.answers if self.totals.answers else None


def shards(learners: int, jobs: int) -> list[range]:
    jobs = max(1, min(jobs, learners))
    size = math.ceil(learners / jobs)
    return [range(start, min(start + size, learners)) for start in range(0, learners, size)]


ENGINES = ("fast", "db")
VOICE_DB_REFUSAL = ("the db engine simulates SMS learners only (it has no transport that places calls); "
                    "use --engine fast for --voice-share above 0")


def _run(args) -> ShardResult:
    schedule, cfg, indices, directory, template = args
    if template is None:
        return fast.run_shard(schedule, cfg, indices)
    return run_shard(schedule, cfg, indices, directory, template)


def compare(schedules: list[Schedule], cfg: SimConfig, *, jobs: int | None = None,
            progress=None, engine: str = "fast") -> list[ScheduleResult]:
    """Run every schedule over the same simulated learners; results in the order given."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r} (use {', '.join(ENGINES)})")
    if engine == "db" and cfg.voice_share > 0:
        raise ValueError(VOICE_DB_REFUSAL)
    if any(s.oracle for s in schedules) and (engine == "db" or cfg.voice_share > 0):
        raise ValueError("the oracle is a yardstick of the fast engine, for SMS learners (--voice-share 0)")
    jobs = jobs or os.cpu_count() or 1
    schedules = [refit.refitted(s, cfg, partial(_whole_cohort, jobs=jobs)) if s.refit else s for s in schedules]
    directory = world.scratch_dir() if engine == "db" else None
    try:
        template = world.migrated_template(directory) if directory else None
        tasks = []
        for position, schedule in enumerate(schedules):
            parts = shards(cfg.learners, jobs if schedule.sends else 1)
            tasks.extend((position, (schedule, cfg, part, directory, template)) for part in parts)
        results = [ScheduleResult(s, cfg, ShardResult()) for s in schedules]
        outstanding = [sum(1 for p, _ in tasks if p == i) for i in range(len(schedules))]
        started = [None] * len(schedules)
        shard_results: list[list[ShardResult]] = [[] for _ in schedules]
        if jobs == 1:
            executor = None
            submit = _InlineExecutor().submit
        else:
            executor = ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("fork"))
            submit = executor.submit
        try:
            t0 = time.perf_counter()
            futures = []
            for position, args in tasks:
                futures.append((position, submit(_run, args)))
                if started[position] is None:
                    started[position] = time.perf_counter()
            for position, future in futures:
                shard_results[position].append(future.result())
                outstanding[position] -= 1
                if outstanding[position] == 0:
                    result = results[position]
                    _combine(result, shard_results[position])
                    result.wall_seconds = time.perf_counter() - t0
                    if progress:
                        progress(result)
        finally:
            if executor is not None:
                executor.shutdown()
        return results
    finally:
        if directory:
            world.remove(directory)


def _whole_cohort(schedule: Schedule, cfg: SimConfig, *, jobs: int = 1) -> ShardResult:
    """All of a cohort at once (the refit's rounds), its shards on ``jobs`` processes; the
    learners come back in order, so the fits are the same whatever ``jobs``."""
    parts = shards(cfg.learners, jobs)
    if len(parts) == 1:
        return fast.run_shard(schedule, cfg, parts[0])
    with ProcessPoolExecutor(max_workers=len(parts), mp_context=get_context("fork")) as pool:
        results = list(pool.map(fast.run_shard, [schedule] * len(parts), [cfg] * len(parts), parts))
    total = ShardResult()
    for part in results:
        total.add(part)
    return total


def _combine(result: ScheduleResult, parts: list[ShardResult]) -> None:
    totals = result.totals
    for part in parts:
        totals.add(part)
    result.cpu_seconds = sum(p.seconds for p in parts)
    result.remembered = {day: math.fsum(v for p in parts for v in p.per_learner[day]) / totals.learners
                         for day in result.cfg.checkpoints}


class _InlineExecutor:
    """``submit`` that runs at once, for ``jobs=1`` (tests, profiling)."""

    def submit(self, fn, *args):
        from concurrent.futures import Future

        future = Future()
        future.set_result(fn(*args))
        return future

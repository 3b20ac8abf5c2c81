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
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from multiprocessing import get_context

from app.reports import costs
from app.simulation import fast, refit, world
from app.simulation.runner import ShardResult, SimConfig, run_shard
from app.simulation.schedules import Schedule


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

    def cost_per_learner(self, price: costs.Price) -> float:
        """SMS segments, billed call minutes and WhatsApp messages (templates charged) at ``price``."""
        return (self.segments_per_learner * price.sms_segment + self.voice_minutes_per_learner * price.voice_minute
                + price.whatsapp(self.totals.wa_templates, self.totals.wa_messages) / self.learners)

    def per_100_currency(self, day: int, price: costs.Price) -> float | None:
        """Items remembered at ``day`` per 100 units of money spent on SMS, calls and WhatsApp
        together: the comparison that holds across channels (None when nothing was spent)."""
        cost = self.cost_per_learner(price)
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
    if cfg.voice_share + cfg.whatsapp_share > 1:
        raise ValueError("the voice and WhatsApp shares add up to more than all learners")
    if any(s.oracle for s in schedules) and (engine == "db" or cfg.voice_share > 0 or cfg.whatsapp_share > 0):
        raise ValueError("the oracle is a yardstick of the fast engine, for SMS learners "
                         "(--voice-share 0, --whatsapp-share 0)")
    jobs = jobs or os.cpu_count() or 1
    schedules = [refit.refitted(s, cfg, partial(_whole_cohort, jobs=jobs)) if s.refit else s for s in schedules]
    directory = world.scratch_dir() if engine == "db" else None
    try:
        template = world.migrated_template(directory) if directory else None
        results = [ScheduleResult(s, cfg, ShardResult()) for s in schedules]
        with _pool(jobs) as pool:
            t0 = time.perf_counter()
            # Every schedule's shards are submitted before any is waited for: the pool stays busy.
            pending = [_submit_shards(pool, s, cfg, jobs, directory, template) for s in schedules]
            for result, futures in zip(results, pending):
                _combine(result, [future.result() for future in futures])
                result.wall_seconds = time.perf_counter() - t0
                if progress:
                    progress(result)
        return results
    finally:
        if directory:
            world.remove(directory)


def _whole_cohort(schedule: Schedule, cfg: SimConfig, *, jobs: int = 1) -> ShardResult:
    """All of a cohort at once (the refit's rounds), its shards on ``jobs`` processes; the
    learners come back in order, so the fits are the same whatever ``jobs``."""
    with _pool(jobs) as pool:
        return combined([future.result() for future in _submit_shards(pool, schedule, cfg, jobs)])


def _submit_shards(pool, schedule: Schedule, cfg: SimConfig, jobs: int, directory: str | None = None,
                   template: str | None = None) -> list[Future]:
    """One schedule's cohort as shards on ``pool`` (one shard when it sends nothing); the
    futures in learner order, which ``combined`` keeps."""
    parts = shards(cfg.learners, jobs if schedule.sends else 1)
    return [pool.submit(_run, (schedule, cfg, part, directory, template)) for part in parts]


def combined(parts: list[ShardResult]) -> ShardResult:
    """The shards of one schedule as one result, learners in shard order."""
    total = ShardResult()
    for part in parts:
        total.add(part)
    return total


def _combine(result: ScheduleResult, parts: list[ShardResult]) -> None:
    result.totals = totals = combined(parts)
    result.cpu_seconds = sum(p.seconds for p in parts)
    result.remembered = {day: math.fsum(v for p in parts for v in p.per_learner[day]) / totals.learners
                         for day in result.cfg.checkpoints}


@contextmanager
def _pool(jobs: int):
    """Processes for the shards (forked: they inherit the loaded pack), or inline for ``jobs=1``."""
    if jobs == 1:
        yield _InlineExecutor()
        return
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("fork")) as pool:
        yield pool


class _InlineExecutor:
    """``submit`` that runs at once, for ``jobs=1`` (tests, profiling)."""

    def submit(self, fn, *args):
        future = Future()
        future.set_result(fn(*args))
        return future

"""One dispatch pass: plan what is due, then send it. ``saathi worker`` repeats it.

Any number of passes may run at once, in threads, processes or machines: planning locks
the learners it works on, and delivery claims outbox rows, so each message goes once.

A pass runs on the worker's scheduler thread, where there is no Flask app context: it
gets everything it uses from a ``Dispatch`` built once from the app's settings, and the
code below it takes its settings as arguments. One learner's (or one row's) failure is
logged by id, counted and skipped; it never stops the pass for the others.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, fields
from datetime import datetime

from flask import Flask
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from app.channels.options import ChannelOptions, current_options
from app.channels.registry import channels
from app.db import get_engine
from app.learning import fitting
from app.learning.policy import Policy, current_policy
from app.messaging.senders import SenderChooser, parse_senders
from app.messaging.twilio_async import LoopThread
from app.observability import dispatch_pass, metrics
from app.scheduling import delivery
from app.scheduling.pipeline import Pipeline, claim_size
from app.scheduling.planner import Planner, PlanStats, plan
from app.scheduling.throttle import SenderPace, Window

log = logging.getLogger(__name__)


@dataclass
class DispatchStats:
    plan: PlanStats = field(default_factory=PlanStats)
    delivery: delivery.DeliveryStats = field(default_factory=delivery.DeliveryStats)

    def as_dict(self) -> dict:
        return {f.name: getattr(part, f.name) for part in (self.plan, self.delivery)
                for f in fields(part) if not f.name.startswith("_")}


@dataclass(frozen=True)
class Dispatch:
    """What a pass needs, read once from the app: safe to use from any thread."""

    sessions: Callable[[], AbstractContextManager[Session]]
    clock: object
    transport: object
    throttle: SenderPace  # per sender, shared by every worker (anything with ``reserve``)
    policy: Policy
    options: ChannelOptions
    batch: int
    max_attempts: int
    pass_seconds: float  # a pass sends for this long at most, then drains and starts again
    window: Window  # API calls in flight, per process (AIMD on 429s)
    callbacks: bool  # Twilio reports delivery to SAATHI_PUBLIC_URL (not with the console transport)
    chooser: SenderChooser | None = None  # SAATHI_SENDERS, if set
    loop: LoopThread | None = None  # where an async transport's sends run (one per process)
    rates: dict = field(default_factory=dict)  # segments/s by sender

    @classmethod
    def of(cls, app: Flask) -> Dispatch:
        """What the app's settings say; needs the app object, not an app context. Cheap:
        the engine, policy, channel options and throttle are the app's own, made once."""
        engine, config = get_engine(app), app.config

        @contextmanager
        def sessions():
            with Session(engine, expire_on_commit=False) as db:
                yield db

        default_rate = float(config["SEGMENTS_PER_SECOND"])
        spec = (config.get("SENDERS"), default_rate)
        chooser = app.extensions.get("saathi.senders")
        if chooser is None or chooser.spec != spec:  # kept, so the spread by rate carries across passes
            chooser = app.extensions["saathi.senders"] = SenderChooser(parse_senders(*spec))
            chooser.spec = spec
        rates = chooser.rates(default_rate)
        throttle = app.extensions.get("saathi.throttle")
        if throttle is None:  # the pace lives in the database; this only caches reservations
            throttle = app.extensions["saathi.throttle"] = SenderPace(sessions, rates)
        window = app.extensions.get("saathi.window")
        in_flight = int(config["DELIVERY_THREADS"] or 0) or int(config.get("TWILIO_MAX_IN_FLIGHT") or 100)
        if window is None or window.ceiling != max(1, in_flight):  # one per process: its passes share it
            window = app.extensions["saathi.window"] = Window(in_flight)
        loop = None
        if getattr(app.extensions["saathi.transport"], "aio", None) is not None:
            loop = LoopThread.shared()
        return cls(sessions=sessions, clock=app.extensions["saathi.clock"], transport=app.extensions["saathi.transport"],
                   throttle=throttle, policy=current_policy(app), options=current_options(app),
                   batch=int(config["DISPATCH_BATCH"]), max_attempts=int(config["SEND_MAX_ATTEMPTS"]),
                   pass_seconds=float(config["DISPATCH_PASS_SECONDS"]),
                   window=window, callbacks=config["TRANSPORT"] == "twilio",
                   chooser=chooser or None, rates=rates, loop=loop)

    def status_callback(self, kind: str) -> str | None:
        if not self.callbacks:
            return None
        return self.options.voice.base_url + channels.by_kind(kind).status_path


def deliver(ctx: Dispatch, *, now: datetime, limit: int | None = None,
            stats: delivery.DeliveryStats | None = None,
            refill: Callable[[], int] | None = None) -> delivery.DeliveryStats:
    """Send queued outbox rows, in claimed batches, paced per sender, many in flight
    (app/scheduling/pipeline.py), until the queue is empty, ``limit`` rows have been
    claimed, or ``ctx.pass_seconds`` have gone by.

    A pass bounded by time, not rows: its last calls must come back before it ends, and
    while they do the window is emptying. Ending every 500 rows left it emptying for a
    quarter second in every 1.3 (docs/performance.md); ending every ten seconds, one in
    forty. ``refill`` plans more learners when the queue runs short (it returns how many it
    claimed; fewer than a batch means no more are due), so a morning's backlog is planned
    while the last claim's calls are still in flight, not between passes.
    """
    stats = stats or delivery.DeliveryStats()
    me = delivery.worker_id()
    deadline = time.monotonic() + ctx.pass_seconds
    with ctx.sessions() as db:
        delivery.reconcile_stale(db, transport=ctx.transport, now=now, stats=stats)
        delivery.apply_late_events(db, now=now, options=ctx.options, max_attempts=ctx.max_attempts)
        db.commit()
    choose = ctx.chooser.choose if ctx.chooser else None
    with ThreadPoolExecutor(ctx.window.ceiling, thread_name_prefix="saathi-send") as pool:
        pipeline = Pipeline(ctx, now=now, stats=stats, pool=pool)
        try:
            while limit is None or limit > 0:
                wanted = claim_size(ctx, limit)
                with ctx.sessions() as db:
                    rows = delivery.claim(db, now=now, worker=me, limit=wanted, choose=choose)
                    db.commit()
                short = len(rows) < wanted  # the queue is empty for now
                if short and refill is not None:
                    planned = refill()
                    if planned < ctx.batch:
                        refill = None  # every due learner is planned
                    short = not planned
                if rows:
                    pipeline.feed(rows)
                    if limit is not None:
                        limit -= len(rows)
                if short:
                    break
                if time.monotonic() >= deadline:
                    stats.add(out_of_time=1)
                    break
        finally:
            pipeline.finish()
    return stats


def plan_due(ctx: Dispatch, *, now: datetime, planner: Planner | None = None) -> PlanStats:
    """Write the due prompts, reminders and expiries to the outbox (nothing is sent yet).
    If the database refuses (restarting, SQLite busy) the stats say ``skipped``: the next
    tick tries again, and the worker counts the pass as failed. ``planner`` carries what it
    has cached (sites, texts) and its counts from one call to the next within a pass."""
    try:
        return plan(ctx.sessions, now=now, policy=ctx.policy, options=ctx.options, batch=ctx.batch,
                    planner=planner)
    except OperationalError as exc:
        log.warning("planning skipped: %s", getattr(exc, "orig", exc))
        return PlanStats(skipped=True)


def run_pass(ctx: Dispatch, *, now: datetime | None = None) -> DispatchStats:
    """Plan, then deliver (planning more as the queue runs short); one log line per pass,
    tagged with the pass id like all within it."""
    now = now or ctx.clock.now()
    with dispatch_pass(), metrics.timed_pass():
        planner = Planner(now=now, policy=ctx.policy, options=ctx.options)
        first = plan_due(ctx, now=now, planner=planner)
        refill = None
        if first.claimed >= ctx.batch and not first.skipped:  # more may be due
            def refill() -> int:
                before = planner.stats.claimed
                plan_due(ctx, now=now, planner=planner)
                return planner.stats.claimed - before
        sent = deliver(ctx, now=now, refill=refill)
        stats = DispatchStats(plan=first if first.skipped else planner.stats, delivery=sent)
        log.info("dispatch pass", extra={"stats": stats.as_dict()})
    return stats


def dispatch_once(*, app: Flask, now: datetime | None = None) -> DispatchStats:
    """One pass with the app's settings (the CLI, the simulator page and tests call this)."""
    return run_pass(Dispatch.of(app), now=now)


def refit_packs(app: Flask, *, now: datetime | None = None) -> list:
    """The worker's hourly job: refit FSRS to the packs whose answers warrant it
    (``fitting.refit_wanted``: enough new answers, a week since the last fit). A failed fit
    is logged and left for the next hour; it never stops dispatching."""
    config = app.config
    now = now or app.extensions["saathi.clock"].now()
    try:
        with Session(get_engine(app), expire_on_commit=False) as db:
            outcomes = fitting.refit_due(db, now=now, min_reviews=int(config["FIT_MIN_REVIEWS"]),
                                         every=int(config["REFIT_EVERY"]))
            db.commit()
    except Exception:
        log.exception("refitting FSRS failed")
        return []
    for outcome in outcomes:
        fit = outcome.fit
        log.info("refit", extra={"pack": outcome.pack, "answers": outcome.answers, "kept": outcome.skipped is None,
                                 "log_loss": None if fit is None else [round(fit.log_loss_before, 4),
                                                                       round(fit.log_loss_after, 4)]})
    return outcomes

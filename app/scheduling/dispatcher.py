"""One dispatch pass: plan what is due, then send it. ``saathi worker`` repeats it.

Any number of passes may run at once, in threads, processes or machines: planning locks
the learners it works on, and delivery claims outbox rows, so each message goes once.
"""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import datetime

from flask import Flask
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from app.clock import get_clock
from app.db import get_engine
from app.learning.policy import current_policy
from app.messaging.transport import get_transport
from app.observability import carry_context, dispatch_pass, metrics
from app.scheduling import delivery
from app.scheduling.planner import PlanStats, plan
from app.scheduling.throttle import SegmentThrottle
from app.voice.settings import current_options

log = logging.getLogger(__name__)


@dataclass
class DispatchStats:
    plan: PlanStats = field(default_factory=PlanStats)
    delivery: delivery.DeliveryStats = field(default_factory=delivery.DeliveryStats)

    def as_dict(self) -> dict:
        return {f.name: getattr(part, f.name) for part in (self.plan, self.delivery)
                for f in fields(part) if not f.name.startswith("_")}


def _db_factory(app: Flask):
    engine = get_engine(app)

    @contextmanager
    def factory():
        with Session(engine, expire_on_commit=False) as db:
            yield db

    return factory


def throttle_for(app: Flask) -> SegmentThrottle:
    throttle = app.extensions.get("saathi.throttle")
    if throttle is None:
        throttle = app.extensions["saathi.throttle"] = SegmentThrottle(
            float(app.config["SEGMENTS_PER_SECOND"]))
    return throttle


def status_callback_url(app: Flask, kind: str) -> str | None:
    if app.config["TRANSPORT"] != "twilio":
        return None
    path = "/twilio/call-status" if kind == "call" else "/twilio/status"
    return app.config["PUBLIC_URL"].rstrip("/") + path


def deliver(app: Flask, *, now: datetime, limit: int | None = None,
            stats: delivery.DeliveryStats | None = None) -> delivery.DeliveryStats:
    """Send queued outbox rows, in claimed batches, paced by the segment throttle."""
    stats = stats or delivery.DeliveryStats()
    factory, transport, throttle = _db_factory(app), get_transport(app), throttle_for(app)
    me, limit = delivery.worker_id(), limit or int(app.config["DISPATCH_BATCH"])
    max_attempts = int(app.config["SEND_MAX_ATTEMPTS"])
    with factory() as db:
        delivery.reconcile_stale(db, transport=transport, now=now, stats=stats)
        delivery.apply_late_events(db, now=now, voice_options=current_options(app), max_attempts=max_attempts)
        db.commit()

    def send(row):
        throttle.acquire(row.segments)
        with factory() as db:  # a short look first, so no transaction waits on the API call
            if delivery.drop_if_stopped(db, db.merge(row, load=False), now=now, stats=stats):
                db.commit()
                return
        with factory() as db:
            row = db.merge(row, load=False)
            delivery.deliver_row(db, row, transport=transport, now=now, max_attempts=max_attempts,
                                 status_callback=status_callback_url(app, row.kind), stats=stats)
            db.commit()

    threads = max(1, int(app.config["DELIVERY_THREADS"]))
    with ThreadPoolExecutor(threads, thread_name_prefix="saathi-send") as pool:
        while limit > 0:
            with factory() as db:
                rows = delivery.claim(db, now=now, worker=me, limit=min(limit, 100))
                db.commit()
            if not rows:
                break
            # API calls wait on the network: a few in flight at once, each row in its own
            # transaction so its SID is stored the moment Twilio answers.
            list(pool.map(carry_context(send), rows))  # the pass id goes with them
            limit -= len(rows)
    return stats


def plan_due(app: Flask, *, now: datetime) -> PlanStats:
    """Write the due prompts, reminders and expiries to the outbox (nothing is sent yet)."""
    try:
        return plan(_db_factory(app), now=now, policy=current_policy(app),
                    batch=int(app.config["DISPATCH_BATCH"]))
    except OperationalError as exc:  # database restarting or SQLite busy: the next tick retries
        log.warning("planning skipped: %s", getattr(exc, "orig", exc))
        return PlanStats()


def dispatch_once(*, app: Flask, now: datetime | None = None) -> DispatchStats:
    """Plan, then deliver; one log line per pass, tagged with the pass id like all within it."""
    now = now or get_clock(app).now()
    with dispatch_pass(), metrics.timed_pass():
        stats = DispatchStats(plan=plan_due(app, now=now), delivery=deliver(app, now=now))
        log.info("dispatch pass", extra={"stats": stats.as_dict()})
    return stats

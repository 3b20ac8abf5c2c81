"""Prometheus metrics: what was sent, what failed, how fast webhooks answer, how far behind
the dispatcher is. Served at ``/metrics``.

Counters live in the process that counts (a web worker, a ``saathi worker``). Under
gunicorn each worker is its own process: set ``PROMETHEUS_MULTIPROC_DIR`` to an empty
directory (before start, for every process on the machine, workers included) and
``/metrics`` adds up all of them; ``app/observability/gunicorn_conf.py`` cleans up after
dead web workers. The outbox figures are read from the database at scrape time, so they
are right whichever machine the workers run on. docs/production.md has the setup.
"""
from __future__ import annotations

import hmac
import os
import time
from contextlib import contextmanager
from datetime import datetime

from flask import Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

LAG_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 12 * 3600, 24 * 3600)
WEBHOOK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15)

SENT = Counter("saathi_messages_sent", "Messages and calls Twilio accepted (or found after a crash)",
               ["channel", "purpose"])
RETRIED = Counter("saathi_messages_retried", "Sends queued again: an API error, or delivery failed",
                  ["channel", "purpose"])
FAILED = Counter("saathi_messages_failed", "Sends given up on, or reported failed/undelivered",
                 ["channel", "purpose", "reason"])
STATUS_CALLBACKS = Counter("saathi_status_callbacks", "Delivery status callbacks, once per SID and status",
                           ["status"])
DISPATCH_LAG = Histogram("saathi_dispatch_lag_seconds",
                         "From the moment a message was due to go to its API call", ["channel"],
                         buckets=LAG_BUCKETS)
DISPATCH_PASS = Histogram("saathi_dispatch_pass_seconds", "Duration of one dispatch pass",
                          buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900))
WEBHOOK_SECONDS = Histogram("saathi_webhook_seconds", "Time to answer a Twilio webhook", ["endpoint"],
                            buckets=WEBHOOK_BUCKETS)
HTTP_REQUESTS = Counter("saathi_http_requests", "HTTP requests answered", ["endpoint", "status"])
LEARNER_FAILURES = Counter("saathi_dispatch_learner_failures",
                           "Learners (planning) or outbox rows (sending) a pass skipped because they raised",
                           ["stage"])
PASS_FAILURES = Counter("saathi_dispatch_pass_failures", "Dispatch passes that failed as a whole")
LAST_GOOD_PASS = Gauge("saathi_dispatch_last_success_timestamp_seconds",
                       "When this worker last finished a dispatch pass without failing (Unix time)",
                       multiprocess_mode="max")


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir")


# -- hooks called by the code that does the work (one line each) ---------------------------
def sent(channel: str, purpose: str, *, due: datetime | None = None, now: datetime | None = None) -> None:
    SENT.labels(channel, purpose).inc()
    if due is not None and now is not None:
        DISPATCH_LAG.labels(channel).observe(max((now - due).total_seconds(), 0.0))


def retried(channel: str, purpose: str) -> None:
    RETRIED.labels(channel, purpose).inc()


def failed(channel: str, purpose: str, reason: str) -> None:
    FAILED.labels(channel, purpose, reason or "unknown").inc()


def learner_failed(stage: str) -> None:
    LEARNER_FAILURES.labels(stage).inc()


def pass_finished(ok: bool, at: float) -> None:
    if ok:
        LAST_GOOD_PASS.set(at)
    else:
        PASS_FAILURES.inc()


def status_callback(status: str) -> None:
    STATUS_CALLBACKS.labels((status or "unknown")[:16]).inc()


@contextmanager
def timed_pass():
    started = time.perf_counter()
    try:
        yield
    finally:
        DISPATCH_PASS.observe(time.perf_counter() - started)


# -- what the database knows at scrape time ------------------------------------------------
class OutboxCollector:
    """Queue depth and backlog age, from the outbox table (one indexed query)."""

    def __init__(self, engine, now: datetime):
        self.engine, self.now = engine, now

    def collect(self):
        from app.models import Outbox

        depth = GaugeMetricFamily("saathi_outbox_depth", "Outbox rows waiting or in flight", labels=["status"])
        due = GaugeMetricFamily("saathi_outbox_due", "Queued outbox rows whose time to go has come")
        oldest = GaugeMetricFamily("saathi_outbox_oldest_due_seconds",
                                   "How long the longest-waiting due row has waited (0: none waiting)")
        with self.engine.connect() as conn:
            counts = dict(conn.execute(select(Outbox.status, func.count(Outbox.id))
                                       .where(Outbox.status.in_(("queued", "sending")))
                                       .group_by(Outbox.status)).all())
            n_due, first = conn.execute(select(func.count(Outbox.id), func.min(Outbox.next_attempt_at))
                                        .where(Outbox.status == "queued",
                                               Outbox.next_attempt_at <= self.now)).one()
        for status in ("queued", "sending"):
            depth.add_metric([status], counts.get(status, 0))
        due.add_metric([], n_due or 0)
        oldest.add_metric([], max((self.now - first).total_seconds(), 0.0) if first else 0.0)
        yield from (depth, due, oldest)


def exposition(app: Flask) -> bytes:
    """The text Prometheus scrapes: this process (or all, in multiprocess mode) + the outbox."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    from app.clock import get_clock
    from app.db import get_engine

    outbox = CollectorRegistry()
    outbox.register(OutboxCollector(get_engine(app), get_clock(app).now()))
    try:
        extra = generate_latest(outbox)
    except Exception:  # noqa: BLE001 - the database is down: still report the counters (healthz says 503)
        current_app.logger.warning("outbox metrics unavailable: database error")
        extra = b""
    return generate_latest(registry) + extra


def metrics_view():
    """Prometheus text format. 401 if ``SAATHI_METRICS_TOKEN`` is set and not given as Bearer."""
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), str(token).encode()):
            abort(401)
    return Response(exposition(current_app._get_current_object()), mimetype=CONTENT_TYPE_LATEST)


def start_worker_server(app: Flask, health):
    """``saathi worker``: serve its ``/metrics`` and ``/healthz`` on ``SAATHI_METRICS_PORT``.

    Returns the server (``.shutdown()`` stops it), or None when no port is configured."""
    from app.observability import worker_health

    port = app.config.get("METRICS_PORT")
    if not port:
        return None
    registry = REGISTRY
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    return worker_health.serve(health, registry, host=str(app.config.get("METRICS_ADDR") or "127.0.0.1"),
                               port=int(port))


def init_app(app: Flask) -> None:
    @app.before_request
    def _start_timer():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response):
        started = g.pop("metrics_started", None)
        rule = request.url_rule
        endpoint = rule.endpoint if rule is not None else "unmatched"
        HTTP_REQUESTS.labels(endpoint, str(response.status_code)).inc()
        if started is not None and (request.blueprint or "").split(".")[0] == "twilio":
            WEBHOOK_SECONDS.labels(endpoint).observe(time.perf_counter() - started)
        return response


"""``saathi dispatch --once`` and ``saathi worker``: sending what is due."""
from __future__ import annotations

import json
import logging
import signal
import threading

import click
from flask import current_app
from flask.cli import with_appcontext

from app.mentoring.followup import run_for_app
from app.observability import dispatch_pass, metrics
from app.observability.worker_health import WorkerHealth
from app.scheduling.dispatcher import dispatch_once, refit_packs


@click.command("dispatch")
@click.option("--once", is_flag=True, required=True, help="Run one pass and exit.")
@with_appcontext
def dispatch_cmd(once: bool):
    """Run one dispatch pass: reminders, expiries, due prompts, outbox delivery."""
    stats = dispatch_once(app=current_app._get_current_object())
    click.echo(json.dumps(stats.as_dict()))


@click.command("worker")
@click.option("--interval", type=float, help="Seconds between passes (default SAATHI_DISPATCH_INTERVAL_SECONDS).")
@with_appcontext
def worker_cmd(interval: float | None):
    """Dispatch on an APScheduler tick until stopped. Run as many as you like.

    Passes run on the scheduler's threads, without an app context: each gets what it needs
    from ``Dispatch.of(app)``. ``/healthz`` on ``SAATHI_METRICS_PORT`` says 503 when passes fail.
    """
    from apscheduler.schedulers.blocking import BlockingScheduler

    app = current_app._get_current_object()
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not a line per tick
    # Nor a warning per tick while a long pass runs: a skipped tick is how the interval is meant to work.
    logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
    log = logging.getLogger("saathi.worker")
    seconds = interval or float(app.config["DISPATCH_INTERVAL_SECONDS"])
    # A pass of a big backlog at one segment a second can take many minutes: "stalled" means
    # no pass has finished in an hour (or ten intervals, if longer).
    health = WorkerHealth(stale_after=max(10 * seconds, 3600.0))

    scheduler = BlockingScheduler()
    stopping = threading.Event()

    def stop(*_):
        """SIGTERM (systemd, Kubernetes): finish the pass under way, start no other. It may
        come before the scheduler runs (during the first pass), so it only sets a flag there."""
        stopping.set()
        if scheduler.running:
            scheduler.shutdown(wait=False)

    def tick():
        if stopping.is_set():  # a stop that came between the first pass and start()
            if scheduler.running:
                scheduler.shutdown(wait=False)
            return
        # A pass that ran out of time (SAATHI_DISPATCH_PASS_SECONDS) left more: the next one starts at
        # once, not an interval later, so a morning's backlog goes out at the network's pace.
        more = True
        while more and not stopping.is_set():
            with dispatch_pass():  # every line of the pass, its failure too, carries the pass id
                try:
                    stats = dispatch_once(app=app)  # logs one line per pass
                except Exception as exc:  # one bad pass must not end the worker, but it is not healthy
                    log.exception("dispatch pass failed")
                    health.failed(type(exc).__name__)
                    return
                if stats.plan.skipped:
                    health.failed("database unavailable for planning")
                    return
                health.passed()
                more = bool(stats.delivery.out_of_time)

    scheduler.add_job(tick, "interval", seconds=seconds, max_instances=1, coalesce=True)
    if app.config["REFIT"]:  # FSRS refitted to each pack's answers (the rule in fitting.refit_wanted)
        scheduler.add_job(refit_packs, "interval", args=(app,), hours=1, max_instances=1, coalesce=True)
    # Mentor pairs: nudges, mid-point and end check-ins, closing (idempotent; app/mentoring/followup.py).
    scheduler.add_job(run_for_app, "interval", args=(app,), minutes=15, max_instances=1, coalesce=True)
    signal.signal(signal.SIGTERM, stop)
    metrics.start_worker_server(app, health)  # SAATHI_METRICS_PORT: /metrics and /healthz
    log.info("worker started: a pass every %ss", seconds)
    # The first pass runs on a thread of its own too, exactly as every later one does: a pass
    # that only works inside the command's app context would fail here, not hours later.
    first = threading.Thread(target=tick, name="saathi-first-pass")
    first.start()
    first.join()
    if stopping.is_set():
        return
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass

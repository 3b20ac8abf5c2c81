"""``saathi dispatch --once`` and ``saathi worker``: sending what is due."""
from __future__ import annotations

import json
import logging
import signal

import click
from flask import current_app
from flask.cli import with_appcontext

from app.observability import dispatch_pass, metrics
from app.scheduling.dispatcher import dispatch_once


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
    """Dispatch on an APScheduler tick until stopped. Run as many as you like."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    app = current_app._get_current_object()
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not a line per tick
    log = logging.getLogger("saathi.worker")
    seconds = interval or float(app.config["DISPATCH_INTERVAL_SECONDS"])

    def tick():
        with dispatch_pass():  # every line of the pass, its failure too, carries the pass id
            try:
                dispatch_once(app=app)  # logs one line per pass
            except Exception:  # one bad pass must not end the worker
                log.exception("dispatch pass failed")

    scheduler = BlockingScheduler()
    scheduler.add_job(tick, "interval", seconds=seconds, max_instances=1, coalesce=True)
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    metrics.start_worker_server(app)  # SAATHI_METRICS_PORT, for a worker on its own machine
    log.info("worker started: a pass every %ss", seconds)
    tick()
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass

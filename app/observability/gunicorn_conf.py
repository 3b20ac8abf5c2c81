"""gunicorn settings for Saathi's web processes: ``gunicorn -c python:app.observability.gunicorn_conf``.

Only what metrics and logs need; everything else (``-w``, ``-b``) stays on the command line
or in ``GUNICORN_CMD_ARGS``. With ``PROMETHEUS_MULTIPROC_DIR`` set, a web worker that
exits has its live gauges dropped from ``/metrics`` (its counters stay: they are history).
"""
from __future__ import annotations

import os

# gunicorn's own lines, on stderr beside the app's JSON ones; its access log stays off
# (the app logs each request itself, with the request id).
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")


def child_exit(server, worker):  # gunicorn hook
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

"""Whether a ``saathi worker`` is doing its job, for an orchestrator or an alert to ask.

A worker whose passes fail still looks alive to ``ps`` and systemd: the process runs, the
scheduler ticks, nobody gets a message. So the worker reports each pass here, and serves
the verdict at ``/healthz`` beside its ``/metrics`` (``SAATHI_METRICS_PORT``): 200 while the
last pass went through and one went through recently, 503 with the reason otherwise.
Learners skipped because their own planning raised do not make the worker unhealthy (they
are counted in ``saathi_dispatch_learner_failures``); a pass that fails as a whole does.
"""
from __future__ import annotations

import json
import threading
import time
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import make_wsgi_app

from app.observability import metrics


class WorkerHealth:
    def __init__(self, *, stale_after: float, clock=time.time):
        self.stale_after, self.clock = stale_after, clock
        self.started = clock()
        self.last_success: float | None = None
        self.failures = 0  # passes failed in a row
        self.last_error: str | None = None
        self._lock = threading.Lock()

    def passed(self) -> None:
        with self._lock:
            self.last_success, self.failures, self.last_error = self.clock(), 0, None
        metrics.pass_finished(True, self.last_success)

    def failed(self, reason: str) -> None:
        with self._lock:
            self.failures += 1
            self.last_error = reason[:200]
        metrics.pass_finished(False, self.clock())

    def report(self) -> tuple[bool, dict]:
        with self._lock:
            now = self.clock()
            since = now - (self.last_success or self.started)
            body = {"consecutive_failures": self.failures, "seconds_since_success": round(since, 1)}
            if self.failures:
                return False, {"status": "failing", "last_error": self.last_error, **body}
            if since > self.stale_after:
                return False, {"status": "stalled", **body}
            return True, {"status": "ok" if self.last_success else "starting", **body}


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:  # a scrape every few seconds is not news
        pass


def serve(health: WorkerHealth, registry, *, host: str, port: int) -> WSGIServer:
    """``/healthz`` and ``/metrics`` on a daemon thread; ``.shutdown()`` stops it."""
    exposition = make_wsgi_app(registry)

    def app(environ, start_response):
        if environ.get("PATH_INFO") == "/healthz":
            ok, body = health.report()
            start_response("200 OK" if ok else "503 Service Unavailable",
                           [("Content-Type", "application/json")])
            return [json.dumps(body).encode()]
        return exposition(environ, start_response)

    server = make_server(host, port, app, server_class=_Server, handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, name="saathi-health", daemon=True).start()
    return server

"""``/healthz`` for load balancers and orchestrators, and ``/metrics`` for Prometheus.

Neither needs a login: a health check answers only "ok" or "unavailable", never why (the
log says why), and metrics can be closed with ``SAATHI_METRICS_TOKEN``.
"""
from __future__ import annotations

from flask import Blueprint, current_app
from sqlalchemy import text

from app.db import get_engine
from app.observability import metrics

bp = Blueprint("observability", __name__)


@bp.get("/healthz")
def healthz():
    """200 ``{"status": "ok"}`` when the database answers ``SELECT 1``, else 503."""
    try:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure to reach the database means: send no traffic here
        current_app.logger.warning("health check failed: database unreachable (%s)", type(exc).__name__)
        return {"status": "unavailable", "checks": {"database": "down"}}, 503
    return {"status": "ok"}


bp.add_url_rule("/metrics", "metrics", metrics.metrics_view)

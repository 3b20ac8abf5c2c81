"""What an operator sees of a running Saathi: structured logs, health, metrics.

``init_app`` wires all three; the code that does the work reports through the small
hooks in ``metrics`` (``metrics.sent(...)``) and ``logging.dispatch_pass()``.
"""
from __future__ import annotations

from flask import Flask

from app.observability import health, logging, metrics
from app.observability.logging import carry_context, dispatch_pass

__all__ = ["carry_context", "dispatch_pass", "init_app", "metrics"]


def init_app(app: Flask) -> None:
    logging.init_app(app)
    metrics.init_app(app)
    app.register_blueprint(health.bp)

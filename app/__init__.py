"""Saathi: learning reinforcement by SMS and voice for frontline workers."""
from __future__ import annotations

import os

from flask import Flask

from app.clock import SystemClock


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application. Cheap and side-effect free: no migrations, no network."""
    app = Flask(__name__, instance_path=os.environ.get("SAATHI_INSTANCE_PATH") or None)
    from app import config, db, observability, security

    config.load_config(app, test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    app.extensions["saathi.clock"] = app.config.get("CLOCK") or SystemClock()
    from app.mentoring.mail import mail_from_env

    app.extensions["saathi.mail"] = mail_from_env()  # SmtpMail when SAATHI_SMTP_URL is set (no connection yet)
    db.init_app(app)
    observability.init_app(app)  # logs with request ids, /healthz, /metrics
    security.init_app(app)  # baseline response headers (staff pages add their own)

    from app import cli, i18n, mentoring
    from app.messaging import transport
    from app.web import register_blueprints

    i18n.init_app(app)
    mentoring.init_app(app)  # its answerer for strangers' texts (app.learning.strangers)
    transport.init_app(app)
    register_blueprints(app)
    cli.init_app(app)
    return app

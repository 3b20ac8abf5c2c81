"""HTTP surface: one blueprint per area, registered here and nowhere else."""
from __future__ import annotations

import importlib

from flask import Flask

# Staff-facing blueprints (HTML pages, session login, CSRF-protected forms).
STAFF_BLUEPRINTS = (
    "app.web.errors",
    "app.web.auth",
    "app.web.dashboard",
    "app.web.workspace",
    "app.web.simulator",
    "app.web.journeys",
    "app.web.mentoring",
    "app.web.mentoring.public",  # the public enrolment forms: no sign-in, CSRF as everywhere
    "app.web.impact",  # public, no login: the programmes' impact pages (aggregates only)
    "app.web.api",  # the JSON API: bearer tokens instead of sessions, so in CSRF_EXEMPT below
)
# Blueprints that authenticate every request themselves (Twilio signatures, API tokens)
# and so carry no cookies to forge: CSRF does not apply to them.
CSRF_EXEMPT = ("twilio", "api")


def register_blueprints(app: Flask) -> None:
    from app.web.webhooks import bp as webhooks_bp

    app.register_blueprint(webhooks_bp)
    for module in STAFF_BLUEPRINTS:
        app.register_blueprint(importlib.import_module(module).bp)

    from app.web import i18n
    from app.web.auth import security

    i18n.init_app(app)
    security.init_app(app, csrf_exempt=CSRF_EXEMPT)

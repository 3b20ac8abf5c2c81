"""The ``saathi`` console script: Flask's CLI plus one command group per area.

Groups are attached to ``app.cli`` by ``init_app`` so that the FlaskGroup script, tests'
``app.test_cli_runner()`` and ``flask --app app`` all see the same commands.
"""
from __future__ import annotations

import importlib

import click
from flask import Flask
from flask.cli import FlaskGroup

from app import create_app
from app.config import ConfigError

# (module, attribute) of each command or group; modules of areas not built yet are skipped.
COMMANDS = (
    ("app.cli.db", "db_cli"),
    ("app.cli.translate", "translate_cli"),
    ("app.cli.content", "content_cli"),
    ("app.cli.people", "sites_cli"),
    ("app.cli.people", "learners_cli"),
    ("app.cli.sessions", "sessions_cli"),
    ("app.cli.dispatch", "dispatch_cmd"),
    ("app.cli.dispatch", "worker_cmd"),
    ("app.cli.users", "users_cli"),
    ("app.cli.tokens", "tokens_cli"),
    ("app.cli.demo", "demo_cmd"),
    ("app.cli.simulate", "simulate_cmd"),
    ("app.cli.fit", "fit_cmd"),
    ("app.cli.voices", "voices_cli"),
    ("app.cli.channels", "whatsapp_cli"),
    ("app.cli.channels", "dlt_cli"),
    ("app.cli.reports", "reports_cli"),
    ("app.cli.journeys", "journeys_cli"),
    ("app.cli.mentoring", "mentoring_cli"),
)


def init_app(app: Flask) -> None:
    for module, name in COMMANDS:
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        app.cli.add_command(getattr(mod, name))


def _create_app():
    """The app for CLI commands; a configuration mistake is reported as one line, not a traceback."""
    try:
        return create_app()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


cli = FlaskGroup(create_app=_create_app, help="Saathi: SMS and voice learning reinforcement.")

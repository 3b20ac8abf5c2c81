"""Settings: defaults that run Saathi on a laptop, overridden by ``SAATHI_*`` variables.

Every setting has a working default except the secrets a production deployment must
supply; ``check_config`` refuses to start rather than run half-configured, because a
misconfigured SMS service fails silently at 9 a.m. on a learner's phone, not at deploy time.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "dev-only-secret-change-me"

# Values that must stay strings even when they look like JSON numbers (an all-digit token).
STRING_SETTINGS = {
    "SECRET_KEY", "PUBLIC_URL", "TRANSPORT", "DATABASE_URL", "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN", "TWILIO_FROM", "TWILIO_MESSAGING_SERVICE_SID", "TWILIO_API_BASE",
    "CONTENT_DIR", "LOCALES_DIR", "ENV", "SEND_WINDOW_START", "SEND_WINDOW_END", "DEFAULT_LANGUAGE",
    "WHATSAPP_FROM", "WHATSAPP_CONTENT",
}


# Learning policy; docs/learning.md explains how these were chosen (``saathi simulate``).
# MAX_INTERVAL_DAYS caps the days FSRS may leave between two reviews of an item (36500:
# no cap to speak of).
LEARNING_DEFAULTS = {"DESIRED_RETENTION": 0.95, "DAILY_CAP": 1, "REMINDERS": 0, "MAX_INTERVAL_DAYS": 180}


def defaults(instance_path: str) -> dict:
    return {
        "ENV": "development",
        "DATABASE_URL": "sqlite:///" + os.path.join(instance_path, "saathi.db"),
        "SECRET_KEY": DEV_SECRET_KEY,
        "PUBLIC_URL": "http://127.0.0.1:5000",
        "TRANSPORT": "console",
        "TWILIO_ACCOUNT_SID": None,
        "TWILIO_AUTH_TOKEN": None,
        "TWILIO_FROM": None,
        "TWILIO_MESSAGING_SERVICE_SID": None,
        "TWILIO_API_BASE": "https://api.twilio.com",
        "TWILIO_TIMEOUT": 10.0,
        # The account's concurrency limit: Twilio answers 429 (20429) beyond it.
        "TWILIO_MAX_IN_FLIGHT": 100,
        # WhatsApp (app/channels/whatsapp.py): the sender ("whatsapp:+1415…" or "MG…"), the
        # session content made once per shape ("quick-reply-3=HX…,list-5=HX…", listed by
        # `saathi whatsapp templates`), and whether what WhatsApp cannot carry goes by SMS.
        "WHATSAPP_FROM": None,
        "WHATSAPP_CONTENT": None,
        "WHATSAPP_SMS_FALLBACK": True,
        "CONTENT_DIR": str(REPO_ROOT / "content"),
        "DEFAULT_LANGUAGE": "en",
        # Prices per destination country, JSON (app/reports/costs.py); unset: DEFAULT_PRICES there.
        "PRICES": None,
        # The languages Saathi speaks: one folder each, locales/<code>/language.toml and
        # LC_MESSAGES/ (docs/languages.md).
        "LOCALES_DIR": str(REPO_ROOT / "locales"),
        **LEARNING_DEFAULTS,
        "REMINDER_AFTER_HOURS": 4,
        "PROMPT_EXPIRY_HOURS": 24,
        "SEND_WINDOW_START": "09:00",
        "SEND_WINDOW_END": "20:00",
        # A learner who joins a cohort gets the quiz of its sessions held this many days back
        # (0: none); the import page, the learner forms and the CLI can still leave it out.
        "LATE_JOIN_DAYS": 30,
        "MENTOR_NUDGE_WEEKS": 3,
        # FSRS fitted to each pack's own answers (app/learning/fitting.py): the worker refits a
        # pack once it has FIT_MIN_REVIEWS answers and REFIT_EVERY new ones, at most weekly.
        "REFIT": True,
        "FIT_MIN_REVIEWS": 1000,
        "REFIT_EVERY": 1000,
        # Dispatch.
        "DISPATCH_INTERVAL_SECONDS": 20,
        "DISPATCH_BATCH": 500,
        # A pass sends for at most this long, then lets its calls come back and starts again
        # (with a backlog, at once): the window of calls in flight empties once per pass.
        "DISPATCH_PASS_SECONDS": 10,
        "SEGMENTS_PER_SECOND": 1.0,
        "SEND_MAX_ATTEMPTS": 6,
        # API calls in flight per worker, at most (0: the account's TWILIO_MAX_IN_FLIGHT);
        # workers share the account's limit by halving on a 429 and growing back (AIMD).
        "DELIVERY_THREADS": 0,
        # Senders and their segments/s, "MG...:100,+15005550006:1,SAATHI:10@+44" (empty:
        # TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM at SEGMENTS_PER_SECOND).
        "SENDERS": None,
        "SQLALCHEMY_ECHO": False,
        # Development demo (scripts/dev sets it): the sign-in page lists the demo sign-ins.
        "DEMO": False,
        # Largest request body (staff uploads: packs, CSV sheets); webhooks have their own
        # 64 KB cap (app/security.py). Here, not a ``setdefault``: Flask's own config already
        # holds MAX_CONTENT_LENGTH=None, so a setdefault never applied.
        "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
    }


def _loads(value: str):
    try:
        return json.loads(value)
    except ValueError:
        return value


def load_config(app, test_config: dict | None = None) -> None:
    """Fill ``app.config`` from defaults, the environment and (in tests) a mapping."""
    app.config.update(defaults(app.instance_path))
    app.config.from_prefixed_env("SAATHI", loads=_loads)
    if test_config:
        app.config.update(test_config)
    for key in STRING_SETTINGS:
        if app.config.get(key) is not None:
            app.config[key] = str(app.config[key])
    check_config(app.config)


def _on(value) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def demo_mode(config) -> bool:
    """``SAATHI_DEMO=1`` on a development machine: the sign-in page shows the demo sign-ins.
    Never in production, where ``check_config`` refuses the setting outright."""
    return config.get("ENV") != "production" and _on(config.get("DEMO"))


class ConfigError(RuntimeError):
    """A setting is missing or unsafe; the message names the environment variable."""


def check_config(config) -> None:
    from app.reports.costs import PriceError, price_table

    try:
        price_table(config)
    except PriceError as exc:
        raise ConfigError(str(exc)) from None
    transport = config["TRANSPORT"]
    if transport not in ("console", "twilio"):
        raise ConfigError(f"SAATHI_TRANSPORT must be 'console' or 'twilio', not {transport!r}")
    if transport == "twilio":
        for key in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"):
            if not config.get(key):
                raise ConfigError(f"SAATHI_TRANSPORT=twilio needs SAATHI_{key} to be set")
        if not (config.get("TWILIO_FROM") or config.get("TWILIO_MESSAGING_SERVICE_SID")):
            raise ConfigError(
                "SAATHI_TRANSPORT=twilio needs SAATHI_TWILIO_FROM "
                "(or SAATHI_TWILIO_MESSAGING_SERVICE_SID) to be set"
            )
    if config["ENV"] == "production" and config["SECRET_KEY"] in (DEV_SECRET_KEY, "", None):
        raise ConfigError("SAATHI_SECRET_KEY must be set to a random value in production")
    if config["ENV"] == "production" and _on(config.get("DEMO")):
        raise ConfigError("SAATHI_DEMO is for development machines: unset it when SAATHI_ENV=production")
    if not 0.5 < float(config["DESIRED_RETENTION"]) < 1:
        raise ConfigError("SAATHI_DESIRED_RETENTION must be between 0.5 and 1")
    late = config["LATE_JOIN_DAYS"]
    if isinstance(late, bool) or not isinstance(late, int) or not 0 <= late <= 365:
        raise ConfigError("SAATHI_LATE_JOIN_DAYS must be a whole number of days between 0 and 365")
    max_interval = config["MAX_INTERVAL_DAYS"]
    if isinstance(max_interval, bool) or not isinstance(max_interval, int) or not 1 <= max_interval <= 36500:
        raise ConfigError("SAATHI_MAX_INTERVAL_DAYS must be a whole number of days between 1 and 36500")

"""Structured logs: one JSON object a line, each tagged with its request or dispatch pass.

A support question starts with "what happened to this message?": the request id (taken
from ``X-Request-Id`` when a proxy set one, made up otherwise, and echoed in the response)
ties every line of one webhook together, and the pass id every line of one dispatch pass.
Learners' phone numbers never reach a log in clear: code masks them with ``mask_phone``,
and ``PhoneMaskFilter`` masks anything shaped like an E.164 number that slipped through.
Secrets from the configuration are blanked the same way.
"""
from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request

from app.messaging.transport import mask_phone

REQUEST_ID_HEADER = "X-Request-Id"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")  # anything else could forge log lines
# "+919876543210", and its URL-encoded form "%2B919876543210", not inside a longer number.
_E164 = re.compile(r"(?<![\w+])(\+|%2[Bb])([1-9]\d{7,14})(?!\d)")
# Attributes every LogRecord has; anything else was passed in ``extra`` and is logged as a field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
_IDS = ("request_id", "pass_id")
_pass_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("saathi_pass_id", default=None)
_secrets: set[str] = set()
access_log = logging.getLogger("saathi.access")
QUIET_ENDPOINTS = {"observability.healthz", "observability.metrics"}  # polled: access log at DEBUG  # every secret of every app created in this process


def new_id() -> str:
    return uuid.uuid4().hex[:16]


def mask_phones(text: str) -> str:
    """``text`` with every E.164-looking number replaced by its ``mask_phone`` form."""
    return _E164.sub(lambda m: m[1] + mask_phone("+" + m[2])[1:], text)


def redact(text: str) -> str:
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, "[secret]")
    return mask_phones(text)


def current_request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


def current_pass_id() -> str | None:
    return _pass_id.get()


@contextmanager
def dispatch_pass(pass_id: str | None = None) -> Iterator[str]:
    """Tag every log line inside with a pass id (the outer one, when passes nest)."""
    outer = _pass_id.get()
    if outer is not None:
        yield outer
        return
    token = _pass_id.set(pass_id or new_id())
    try:
        yield _pass_id.get()
    finally:
        _pass_id.reset(token)


def carry_context(fn):
    """``fn`` wrapped to run in a copy of the caller's context: a thread pool's threads
    then log with the pass id of the pass that handed them the work."""
    context = contextvars.copy_context()

    def run(*args, **kwargs):
        return context.copy().run(fn, *args, **kwargs)

    return run


class ContextFilter(logging.Filter):
    """Puts ``request_id`` and ``pass_id`` on every record (None outside requests/passes)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        if not hasattr(record, "pass_id"):
            record.pass_id = current_pass_id()
        return True


class PhoneMaskFilter(logging.Filter):
    """The safety net: masks E.164 numbers and configured secrets in the final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, request_id, pass_id, extras, exc."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key in _IDS:
            if getattr(record, key, None):
                entry[key] = getattr(record, key)
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in _IDS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return redact(json.dumps(entry, default=str, ensure_ascii=False))


class TextFormatter(logging.Formatter):
    """For a developer's terminal: the classic line, with the ids when there are any."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s%(ids)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        ids = [f"{k}={getattr(record, k)}" for k in ("request_id", "pass_id") if getattr(record, k, None)]
        record.ids = (" [" + " ".join(ids) + "]") if ids else ""
        return redact(super().format(record))


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is now (pytest swaps it per test), never a stale one."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


def _handler() -> logging.Handler:
    """The one Saathi handler on the root logger, made on first use."""
    root = logging.getLogger()
    for handler in root.handlers:
        if getattr(handler, "saathi", False):
            return handler
    handler = _StderrHandler()
    handler.saathi = True
    handler.addFilter(ContextFilter())
    handler.addFilter(PhoneMaskFilter())
    root.addHandler(handler)
    return handler


def request_id_from_header(value: str | None) -> str:
    return value if value and _SAFE_ID.match(value) else new_id()


def init_app(app: Flask) -> None:
    """JSON (or ``SAATHI_LOG_FORMAT=text``) logs at ``SAATHI_LOG_LEVEL`` on stderr, with ids."""
    from flask.logging import default_handler

    _secrets.update(s for s in (app.config.get("SECRET_KEY"), app.config.get("TWILIO_AUTH_TOKEN"),
                                _password(app.config.get("DATABASE_URL"))) if s and len(s) >= 6)
    handler = _handler()
    handler.setFormatter(TextFormatter() if app.config.get("LOG_FORMAT") == "text" else JsonFormatter())
    logging.getLogger().setLevel(str(app.config.get("LOG_LEVEL") or "INFO").upper())
    # Flask's own stderr handler sits on the "app" logger, which is this package's: it would
    # print every line of app.* a second time, unformatted.
    logging.getLogger(app.name).removeHandler(default_handler)
    # The twilio client logs each request's form (numbers, bodies) at INFO.
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # a line per plugin

    @app.before_request
    def _request_id():
        g.request_id = request_id_from_header(request.headers.get(REQUEST_ID_HEADER))
        g.request_started = time.perf_counter()

    @app.after_request
    def _echo_request_id(response):
        if "request_id" in g:
            response.headers[REQUEST_ID_HEADER] = g.request_id
            # The path only: a query string may carry a search for a learner's number.
            level = logging.DEBUG if request.endpoint in QUIET_ENDPOINTS else logging.INFO
            access_log.log(level, "%s %s %s", request.method, request.path, response.status_code, extra={
                "method": request.method, "path": request.path, "status": response.status_code,
                "duration_ms": round(1000 * (time.perf_counter() - g.request_started), 1)})
        return response


def _password(url: str | None) -> str | None:
    match = re.match(r"^[a-z+]+://[^:/@]*:([^@]+)@", url or "")
    return match[1] if match else None

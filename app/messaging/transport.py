"""The one door through which messages and calls leave Saathi.

``console`` prints (and the outbox keeps what was "sent" for the simulator); ``twilio``
uses the real ``twilio`` client against ``SAATHI_TWILIO_API_BASE``, which lets tests and
other providers stand in for api.twilio.com. Errors come back as ``SendError`` with a
verdict the outbox acts on: retry later, the learner opted out, or the number is bad.
"""
from __future__ import annotations

import itertools
import logging
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from flask import Flask, current_app

log = logging.getLogger(__name__)

# Twilio error codes that say something about the learner rather than about the request.
OPTED_OUT_CODES = {21610}
INVALID_NUMBER_CODES = {21211, 21214, 21217, 21219, 21401, 21407, 21408, 21612, 21614}


@dataclass
class SendResult:
    sid: str
    status: str
    segments: int | None = None


@dataclass
class SendError(Exception):
    """A failed send. ``verdict`` is one of ``retry``, ``opted_out``, ``invalid_number``, ``fatal``."""

    verdict: str
    code: int | None = None
    status: int | None = None
    message: str = ""
    retry_after: float | None = None

    def __str__(self) -> str:
        return f"{self.verdict} (HTTP {self.status}, code {self.code}): {self.message}"


def classify(status: int | None, code: int | None) -> str:
    if code in OPTED_OUT_CODES:
        return "opted_out"
    if code in INVALID_NUMBER_CODES:
        return "invalid_number"
    if status is None or status == 429 or status >= 500 or status == 408:
        return "retry"
    return "fatal"


@dataclass
class ConsoleTransport:
    """Development transport: logs each message and keeps it in memory for inspection."""

    name: str = "console"
    sent: list = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _counter: itertools.count = field(default_factory=itertools.count)

    def send_sms(self, *, to: str, body: str, status_callback: str | None = None,
                 sender: str | None = None) -> SendResult:
        sid = "SMconsole" + uuid.uuid4().hex[:23]
        with self._lock:
            self.sent.append({"kind": "sms", "to": to, "body": body, "sid": sid, "sender": sender})
        log.info("console sms to %s: %s", mask_phone(to), body.replace("\n", " | "))
        return SendResult(sid=sid, status="delivered")

    def send_whatsapp(self, *, to: str, body: str, content_sid: str | None = None,
                      content_variables: str | None = None, sender: str | None = None,
                      status_callback: str | None = None) -> SendResult:
        sid = "SMconsole" + uuid.uuid4().hex[:23]
        with self._lock:
            self.sent.append({"kind": "whatsapp", "to": to, "body": body, "sid": sid, "sender": sender,
                              "content_sid": content_sid, "content_variables": content_variables})
        log.info("console whatsapp to %s: %s", mask_phone(to), body.replace("\n", " | "))
        return SendResult(sid=sid, status="delivered")

    def place_call(self, *, to: str, url: str, status_callback: str | None = None) -> SendResult:
        sid = "CAconsole" + uuid.uuid4().hex[:23]
        with self._lock:
            self.sent.append({"kind": "call", "to": to, "url": url, "sid": sid})
        log.info("console call to %s (%s)", mask_phone(to), url)
        return SendResult(sid=sid, status="completed")

    def find_sent(self, *, to: str, body: str, since: datetime, sender: str | None = None) -> str | None:
        with self._lock:
            for msg in reversed(self.sent):
                if msg["to"] == to and msg.get("body") == body:
                    return msg["sid"]
        return None


def mask_phone(phone: str | None) -> str:
    """A phone number as it may appear in logs: country code and last two digits."""
    if not phone:
        return "-"
    return phone[:3] + "*" * max(len(phone) - 5, 0) + phone[-2:]


def get_transport(app: Flask | None = None):
    return (app or current_app).extensions["saathi.transport"]


def init_app(app: Flask) -> None:
    if "saathi.transport" in app.extensions:
        return
    if app.config.get("TRANSPORT_OBJECT") is not None:
        app.extensions["saathi.transport"] = app.config["TRANSPORT_OBJECT"]
    elif app.config["TRANSPORT"] == "twilio":
        from app.messaging.twilio_transport import TwilioTransport

        app.extensions["saathi.transport"] = TwilioTransport.from_config(app.config)
    else:
        app.extensions["saathi.transport"] = ConsoleTransport()

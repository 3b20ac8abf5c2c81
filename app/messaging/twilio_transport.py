"""Twilio through its own client library, with the API host made configurable.

The client always builds ``https://api.twilio.com/...`` URLs; ``BaseUrlHttpClient``
rewrites that prefix to ``SAATHI_TWILIO_API_BASE`` so a Twilio-compatible provider, a
local fake or a contract mock can stand in without touching the rest of the code.
"""
from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from app.messaging.transport import SendError, SendResult, classify

log = logging.getLogger(__name__)


class BaseUrlHttpClient(TwilioHttpClient):
    """A ``TwilioHttpClient`` that sends every request to ``api_base`` instead of twilio.com.

    The library hard-codes its product hosts (possibly rewritten for edge and region) into
    resource URLs, but all traffic goes through ``Client(http_client=...)``: replacing the
    scheme and host there, keeping path and query, redirects the whole client. A path on
    ``api_base`` (``http://h:1/twilio``) is put in front of every request path.
    """

    def __init__(self, api_base: str, timeout: float | None = None, **kwargs):
        super().__init__(timeout=timeout, **kwargs)
        base = urlsplit(api_base)
        if not base.scheme or not base.netloc:
            raise ValueError(f"api_base needs a scheme and host, got {api_base!r}")
        self.api_base = api_base
        self._scheme, self._netloc, self._prefix = base.scheme, base.netloc, base.path.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        parts = urlsplit(url)
        url = urlunsplit((self._scheme, self._netloc, self._prefix + parts.path, parts.query, ""))
        return super().request(method, url, *args, **kwargs)


class TwilioTransport:
    name = "twilio"

    def __init__(self, *, account_sid: str, auth_token: str, from_number: str | None,
                 messaging_service_sid: str | None = None, api_base: str = "https://api.twilio.com",
                 timeout: float = 10.0, max_in_flight: int = 100):
        self.from_number = from_number
        self.messaging_service_sid = messaging_service_sid
        http_client = BaseUrlHttpClient(api_base, timeout=timeout)
        # One kept-alive connection per call in flight: requests' default pool holds 10, and
        # beyond it every call opens and closes its own connection (and logs a warning).
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=max(10, int(max_in_flight)))
        session = http_client.session
        for scheme in ("http://", "https://"):
            session.mount(scheme, adapter)
        # The environment's proxies and CA bundle, read once: requests otherwise walks
        # os.environ twice per call (half a millisecond, a quarter of a send's CPU).
        session.proxies.update(requests.utils.get_environ_proxies(api_base))
        session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        session.trust_env = False
        self.client = Client(account_sid, auth_token, http_client=http_client)
        # The pipeline's many-in-flight sends go through this (app/messaging/twilio_async.py).
        from app.messaging.twilio_async import AsyncTwilio

        self.aio = AsyncTwilio(account_sid=account_sid, auth_token=auth_token, api_base=api_base, timeout=timeout,
                               max_in_flight=max_in_flight, sender_kwargs=self._sender)

    @classmethod
    def from_config(cls, config) -> TwilioTransport:
        return cls(
            account_sid=config["TWILIO_ACCOUNT_SID"],
            auth_token=config["TWILIO_AUTH_TOKEN"],
            from_number=config.get("TWILIO_FROM"),
            messaging_service_sid=config.get("TWILIO_MESSAGING_SERVICE_SID"),
            api_base=config["TWILIO_API_BASE"],
            timeout=float(config.get("TWILIO_TIMEOUT") or 10),
            max_in_flight=int(config.get("TWILIO_MAX_IN_FLIGHT") or 100),
        )

    def _sender(self, sender: str | None = None) -> dict:
        """A sender from SAATHI_SENDERS (an ``MG...`` SID is a Messaging Service), else ours."""
        if sender:
            return {"messaging_service_sid": sender} if sender.startswith("MG") else {"from_": sender}
        if self.messaging_service_sid:
            return {"messaging_service_sid": self.messaging_service_sid}
        return {"from_": self.from_number}

    def send_sms(self, *, to: str, body: str, status_callback: str | None = None,
                 sender: str | None = None) -> SendResult:
        kwargs = {"to": to, "body": body, **self._sender(sender)}
        if status_callback:
            kwargs["status_callback"] = status_callback
        msg = self._call(self.client.messages.create, **kwargs)
        # Informational only: a value we cannot read must not fail a send Twilio accepted.
        segments = int(msg.num_segments) if str(msg.num_segments or "").isdigit() else None
        return SendResult(sid=msg.sid, status=msg.status or "queued", segments=segments)

    def send_whatsapp(self, *, to: str, body: str, content_sid: str | None = None,
                      content_variables: str | None = None, sender: str | None = None,
                      status_callback: str | None = None) -> SendResult:
        """A WhatsApp message: free text, or Content API content (``HX…``) with its variables.
        The sender is ``SAATHI_WHATSAPP_FROM``; a bare number gets its ``whatsapp:`` prefix."""
        sender = sender or (None if self.messaging_service_sid else self.from_number)
        if sender and not sender.startswith(("whatsapp:", "MG")):
            sender = "whatsapp:" + sender
        kwargs = {"to": "whatsapp:" + to, **self._sender(sender)}
        if content_sid:
            kwargs.update(content_sid=content_sid, content_variables=content_variables or "{}")
        else:
            kwargs["body"] = body
        if status_callback:
            kwargs["status_callback"] = status_callback
        msg = self._call(self.client.messages.create, **kwargs)
        return SendResult(sid=msg.sid, status=msg.status or "queued", segments=1)

    def place_call(self, *, to: str, url: str, status_callback: str | None = None) -> SendResult:
        kwargs = {"to": to, "from_": self.from_number, "url": url, "method": "POST"}
        if status_callback:
            kwargs.update(status_callback=status_callback, status_callback_method="POST",
                          status_callback_event=["completed"])
        call = self._call(self.client.calls.create, **kwargs)
        return SendResult(sid=call.sid, status=call.status or "queued")

    def find_sent(self, *, to: str, body: str, since: datetime, sender: str | None = None) -> str | None:
        """The SID of a message to ``to`` with ``body`` created since ``since``, if Twilio has one.

        Used after a crash or timeout left us not knowing whether Twilio accepted a message.
        """
        msgs = self._call(self.client.messages.list, to=to,
                          date_sent_after=since - timedelta(minutes=1), limit=50)
        for msg in msgs:
            if (msg.body or "") == body:
                return msg.sid
        return None

    @staticmethod
    def _call(fn, **kwargs):
        try:
            return fn(**kwargs)
        except TwilioRestException as exc:
            raise SendError(classify(exc.status, exc.code), code=exc.code, status=exc.status,
                            message=str(exc.msg)[:300]) from exc
        except (requests.Timeout, requests.ConnectionError) as exc:
            # The request may or may not have reached Twilio: the outbox reconciles.
            raise SendError("retry", message=f"{type(exc).__name__}: {exc}"[:300]) from exc

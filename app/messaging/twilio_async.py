"""Twilio calls on one asyncio loop instead of a thread per call in flight.

A send is ~0.2 s of waiting and ~1 ms of CPU. With a hundred threads, each blocked in
``requests``, the CPU per call was 1.2 ms and the threads fought over the GIL; the same
calls as coroutines of the twilio client's own async API (aiohttp) cost ~0.7 ms, on one
thread. ``LoopThread`` runs that loop for a worker process; ``AsyncTwilio`` is the async
half of ``TwilioTransport`` (same URL redirect, same errors as ``SendError``).
"""
from __future__ import annotations

import asyncio
import base64
import threading
import weakref
from functools import lru_cache
from urllib.parse import urlencode, urlsplit, urlunsplit

import aiohttp
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from app.messaging.transport import SendError, SendResult, classify


class LoopThread:
    """An asyncio loop on a daemon thread; ``submit`` runs a coroutine on it from any thread.
    One per process (``shared()``): every app and pass in it sends on the same loop."""

    _shared: LoopThread | None = None
    _lock = threading.Lock()

    @classmethod
    def shared(cls) -> LoopThread:
        with cls._lock:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="saathi-send-loop", daemon=True)
        self.thread.start()

    def submit(self, coro) -> asyncio.Future:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)


class _BaseUrlAsyncClient(AsyncTwilioHttpClient):
    """The async twin of ``BaseUrlHttpClient``: every request to ``api_base``, with our
    timeout (the library passes ``timeout=None``, which aiohttp reads as "wait for ever")."""

    def __init__(self, api_base: str, timeout: float, max_in_flight: int):
        super().__init__(pool_connections=False)
        base = urlsplit(api_base)
        self._scheme, self._netloc, self._prefix = base.scheme, base.netloc, base.path.rstrip("/")
        self._timeout = timeout
        # Made here, on the loop: one kept-alive connection per call in flight.
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=max(1, max_in_flight)))

    async def request(self, method, url, params=None, data=None, headers=None, auth=None, timeout=None,
                      allow_redirects=False) -> Response:
        parts = urlsplit(url)
        url = urlunsplit((self._scheme, self._netloc, self._prefix + parts.path, parts.query, ""))
        if auth:
            headers = {**(headers or {}), "Authorization": _basic(*auth)}
        if isinstance(data, dict):
            # Encoded here, as ``requests`` does for the sync client: handed a dict, aiohttp
            # builds a multipart-capable FormData per call, a fifth of a send's CPU.
            data = urlencode(data, doseq=True).encode()
        async with self.session.request(method.upper(), url, params=params, data=data, headers=headers,
                                        timeout=aiohttp.ClientTimeout(total=timeout or self._timeout),
                                        allow_redirects=allow_redirects) as response:
            return Response(response.status, await response.text(), response.headers)


@lru_cache(maxsize=8)
def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _close(loop: asyncio.AbstractEventLoop, session: aiohttp.ClientSession) -> None:
    if loop.is_closed() or not loop.is_running():
        return
    future = asyncio.run_coroutine_threadsafe(session.close(), loop)
    try:
        on_loop = asyncio.get_running_loop() is loop
    except RuntimeError:
        on_loop = False
    if not on_loop:  # waiting on the loop's own thread would never end
        try:
            future.result(2)
        except Exception:  # noqa: BLE001, S110  (exiting anyway)
            pass


class AsyncTwilio:
    """``send_sms`` as a coroutine; its client is made on first use, on the running loop."""

    def __init__(self, *, account_sid: str, auth_token: str, api_base: str, timeout: float, max_in_flight: int,
                 sender_kwargs):
        self.account_sid, self.auth_token, self.api_base = account_sid, auth_token, api_base
        self.timeout, self.max_in_flight, self.sender_kwargs = timeout, max_in_flight, sender_kwargs
        self._client: Client | None = None

    async def send_sms(self, *, to: str, body: str, status_callback: str | None = None,
                       sender: str | None = None) -> SendResult:
        if self._client is None:
            http_client = _BaseUrlAsyncClient(self.api_base, self.timeout, self.max_in_flight)
            self._client = Client(self.account_sid, self.auth_token, http_client=http_client)
            # Closed with this object (or at exit): an aiohttp session dropped open logs an
            # "Unclosed client session" ERROR, which the worker's clean-log checks catch.
            weakref.finalize(self, _close, asyncio.get_running_loop(), http_client.session)
        kwargs = {"to": to, "body": body, **self.sender_kwargs(sender)}
        if status_callback:
            kwargs["status_callback"] = status_callback
        try:
            msg = await self._client.messages.create_async(**kwargs)
        except TwilioRestException as exc:
            raise SendError(classify(exc.status, exc.code), code=exc.code, status=exc.status,
                            message=str(exc.msg)[:300]) from exc
        except (TimeoutError, aiohttp.ClientError) as exc:
            # The request may or may not have reached Twilio: the outbox reconciles.
            raise SendError("retry", message=f"{type(exc).__name__}: {exc}"[:300]) from exc
        segments = int(msg.num_segments) if str(msg.num_segments or "").isdigit() else None
        return SendResult(sid=msg.sid, status=msg.status or "queued", segments=segments)

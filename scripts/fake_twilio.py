"""A fake Twilio REST API on 127.0.0.1, for tests and offline demos.

Why: tests must exercise the real ``twilio`` client (its serialisation, its error
parsing, its timeouts) without the network or a paid account, and must be able to
provoke what real Twilio does on a bad day: rate limits, 5xx, slow answers, opted-out
and unreachable numbers, failed deliveries. Only the Messages and Calls resources of
the 2010-04-01 API are served; responses are shaped so ``MessageInstance`` and
``CallInstance`` parse them. Status callbacks are signed exactly as Twilio signs them,
so the app's ``X-Twilio-Signature`` check runs for real.

    python scripts/fake_twilio.py --port 8099          # local demo server
    with FakeTwilio() as fake:                          # in a pytest fixture
        client = make_client(fake.base_url, fake.account_sid, fake.auth_token)

Like the network, not like a function call: each API request takes ``latency`` seconds
(± ``jitter``), at most ``max_in_flight`` requests of the account are served at once
(more get HTTP 429 with Twilio's code 20429, as the real API does beyond its concurrency
limit), and a share ``error_rate`` of creates fail with 500/503. The command line's
defaults are what production sees (0.2 s ± 0.05, 100 in flight); the in-process class
defaults to an instant, unlimited API for unit tests that do not measure anything.
This file is the server and its entry points (the class, ``make_client``, the command line);
beside it: fake_twilio_network.py (the latency, the cap, the faults), fake_twilio_resources.py
(what a Messages or Calls request does), fake_twilio_callbacks.py (the signed status
callbacks) and fake_twilio_http.py (requests read and answers written, for aiohttp and WSGI).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import re
import signal
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Self

from aiohttp import web
from twilio.rest import Client

_ROOT = str(Path(__file__).resolve().parents[1])  # so `python scripts/fake_twilio.py` finds app/ and scripts/
if _ROOT not in sys.path:
    sys.path.append(_ROOT)
from app.messaging.twilio_transport import BaseUrlHttpClient
from scripts import fake_twilio_http as wire
from scripts.fake_twilio_callbacks import Callback, CallbackDelivery  # noqa: F401 - still importable from here
from scripts.fake_twilio_callbacks import post_signed as _post_signed  # noqa: F401 - tests replay callbacks with it
from scripts.fake_twilio_http import Answer, Call
from scripts.fake_twilio_network import FAULT_CODES, NetworkModel
from scripts.fake_twilio_resources import API, MessagesAndCalls, as_json, error

DEFAULT_ACCOUNT_SID = "AC" + "0" * 32
ROUTE = re.compile(rf"^/{API}/Accounts/([^/]+)/(Messages|Calls)(?:/([^/]+))?\.json$")


def make_client(base_url: str, account_sid: str, auth_token: str,
                timeout: float | None = None) -> Client:
    """A real ``twilio.rest.Client`` whose requests all go to ``base_url``."""
    return Client(account_sid, auth_token, http_client=BaseUrlHttpClient(base_url, timeout))


class FakeTwilio(NetworkModel, MessagesAndCalls, CallbackDelivery):
    """The fake server and its state; public attributes may be changed while it runs.

    Number lists, checked per request in O(1): ``opted_out`` (create fails, 21610),
    ``unreachable`` (create fails, 21614), ``message_outcomes`` {number: (status,
    error_code)} with status "undelivered" or "failed" (create succeeds, delivery fails),
    ``call_outcomes`` {number: "busy" | "no-answer" | "failed"}.

    WhatsApp (``To: whatsapp:+…``) follows Meta's rules: ``whatsapp_open`` holds the numbers
    whose 24-hour window is open (``whatsapp_reply`` opens it, as a learner's message
    does); outside it a free-form message, or content not approved, fails with 63016.
    ``contents`` {ContentSid: {"approved": bool, "buttons": n, "type": "quick-reply" |
    "list-picker", "body": "… {{1}} …"}} is what the account has made; an unknown
    ContentSid is refused (21655), as are more than three quick replies in a session
    without approval (a list picker may have ten). A delivered WhatsApp message is then ``read`` (``whatsapp_read``).

    India's DLT: ``dlt_templates`` {sender header: [registered texts]}; an SMS to +91 from
    such a header whose body matches none of them is dropped by the "carrier" (30007).
    """

    def __init__(self, account_sid: str = DEFAULT_ACCOUNT_SID, auth_token: str = "test-token",
                 host: str = "127.0.0.1", port: int = 0, *, auto_callbacks: bool = True,
                 callback_delay: float = 0.0, callback_workers: int = 4, call_duration: int = 12,
                 service_number: str = "+15005550006", verbose: bool = False, latency: float = 0.0,
                 jitter: float = 0.0, max_in_flight: int | None = None, error_rate: float = 0.0,
                 seed: int | None = None):
        self.account_sid, self.auth_token = account_sid, auth_token
        self.host, self.port, self.verbose = host, port, verbose
        self.auto_callbacks, self.callback_delay = auto_callbacks, callback_delay
        self.call_duration, self.service_number = call_duration, service_number
        self.latency, self.jitter, self.max_in_flight, self.error_rate = latency, jitter, max_in_flight, error_rate
        self._init_network(seed)
        self.opted_out: set[str] = set()
        self.unreachable: set[str] = set()
        self.message_outcomes: dict[str, tuple[str, int]] = {}
        self.call_outcomes: dict[str, str] = {}
        self.whatsapp_open: set[str] = set()
        self.contents: dict[str, dict] = {}
        self.whatsapp_read = True
        self.dlt_templates: dict[str, list[str]] = {}
        self._lock = threading.Lock()
        self._messages: dict[str, dict] = {}
        self._calls: dict[str, dict] = {}
        self._init_callbacks(callback_workers)
        self._server = self._thread = None
        self._stopping = False
        # Set by stop(): an injected delay waits on it, so a stopped fake (a test's teardown,
        # a SIGTERM) ends at once instead of after the delay it was holding an answer for.
        self._stopped = threading.Event()

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> FakeTwilio:
        """Serve in a background thread; ``port=0`` picks a free port (see ``base_url``).

        An asyncio server (aiohttp): connections are kept alive as Twilio's are, and the
        latency is an ``asyncio.sleep``, so hundreds of requests in flight cost no thread
        each. Werkzeug's threaded server closed every connection and ran a thread per
        request: at a few hundred requests a second that cost more CPU than the work."""
        self._stopping = False
        self._stopped.clear()
        self._loop = asyncio.new_event_loop()
        started = threading.Event()
        self._thread = threading.Thread(target=self._run_loop, args=(started,), name="fake-twilio", daemon=True)
        self._thread.start()
        if not started.wait(10) or self._server is None:
            raise RuntimeError("the fake Twilio server did not start")
        self._ensure_workers()
        return self

    def _run_loop(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        runner = wire.runner(self._handle, self._loop)
        try:
            self._loop.run_until_complete(runner.setup())
            site = web.TCPSite(runner, self.host, self.port, backlog=1024, reuse_address=True)
            self._loop.run_until_complete(site.start())
            self.port = runner.addresses[0][1]
            self._server = runner
        finally:
            started.set()
        self._loop.run_forever()
        self._loop.run_until_complete(runner.cleanup())
        # Connections' tasks end here (an AppRunner's cleanup gave them the loop iterations to).
        leftover = asyncio.all_tasks(self._loop)
        for task in leftover:
            task.cancel()
        self._loop.run_until_complete(asyncio.gather(*leftover, return_exceptions=True))
        self._loop.close()

    def stop(self) -> None:
        """Stop serving; callbacks not yet delivered are dropped."""
        self._stopping = True
        self._stopped.set()
        if self._server:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)
            self._server = None
        self._stop_workers()

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        """One HTTP request: the network model here (no thread held while it "travels"),
        then the Twilio model; in a thread only if an injected fault may make it sleep."""
        call = await wire.read(request)
        admitted = None
        if not call.path.startswith("/_fake/"):
            admitted = self._admit(call.method)
            if isinstance(admitted, Answer):
                return await wire.write(request, admitted)
        try:
            if admitted and admitted[0]:
                await asyncio.sleep(admitted[0])
            if admitted and admitted[1] is not None:
                status = admitted[1]
                return await wire.write(request, error(status, *FAULT_CODES[status],
                                                          {"Retry-After": "1"} if status == 503 else {}))
            if self._faults:
                answer = await asyncio.get_running_loop().run_in_executor(None, self._respond, call)
            else:
                answer = self._respond(call)
            return await wire.write(request, answer)
        finally:
            if admitted is not None and not isinstance(admitted, Answer):
                self._release()

    def _respond(self, call: Call) -> Answer:
        return self._control(call) if call.path.startswith("/_fake/") else self._serve(call)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def client(self, timeout: float | None = None) -> Client:
        """A real twilio client pointed at this fake, with its credentials."""
        return make_client(self.base_url, self.account_sid, self.auth_token, timeout)

    # -- inspection (all return copies, safe to use while requests arrive) ----------------
    @property
    def messages(self) -> list[dict]:
        """Every accepted message, oldest first: its Twilio JSON plus ``_params`` (the form)."""
        return self._copy(self._messages)

    @property
    def calls(self) -> list[dict]:
        return self._copy(self._calls)

    def message(self, sid: str) -> dict | None:
        return self._copy(self._messages, sid)

    def call(self, sid: str) -> dict | None:
        return self._copy(self._calls, sid)

    def _copy(self, store: dict, sid: str | None = None):
        with self._lock:
            if sid is None:
                return [dict(record) for record in store.values()]
            return dict(store[sid]) if sid in store else None

    def reset(self) -> None:
        """Forget messages, calls, callbacks, faults and number lists (not credentials)."""
        with self._lock:
            for store in (self._messages, self._calls, self._pending, self._delivered, self._faults):
                store.clear()
        for numbers in (self.opted_out, self.unreachable, self.message_outcomes, self.call_outcomes,
                        self.whatsapp_open, self.contents, self.dlt_templates):
            numbers.clear()

    # -- HTTP ----------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        """The WSGI app; it can also be mounted in-process without ``start()``."""
        call = wire.wsgi_call(environ)
        answer = self._control(call) if call.path.startswith("/_fake/") else self._api(call)
        return wire.wsgi_answer(answer, environ, start_response)

    def _api(self, call: Call) -> Answer:
        """One API request, through the network model: the concurrency cap, then latency."""
        admitted = self._admit(call.method)
        if isinstance(admitted, Answer):
            return admitted
        pause, status = admitted
        try:
            if pause:
                time.sleep(pause)
            if status is not None:
                headers = {"Retry-After": "1"} if status == 503 else {}
                return error(status, *FAULT_CODES[status], headers)
            return self._serve(call)
        finally:
            self._release()

    def _serve(self, call: Call) -> Answer:
        auth = call.auth()
        if not auth or auth.username != self.account_sid or auth.password != self.auth_token:
            return error(401, 20003, "Authenticate", {"WWW-Authenticate": 'Basic realm="Twilio API"'})
        match = ROUTE.match(call.path)
        if not match or match[1] != self.account_sid:
            return error(404, 20404, f"The requested resource {call.path} was not found")
        kind, sid = match[2], match[3]
        if call.method == "GET" and sid is None:
            return self._list(call, kind)
        if call.method != ("POST" if sid is None else "GET"):
            return error(405, 20004, "Method not allowed")
        if sid is not None:
            record = self._copy(self._messages if kind == "Messages" else self._calls, sid)
            if record is None:
                return error(404, 20404, f"The requested resource {call.path} was not found")
            return as_json(200, record)
        fault = self._take_fault()
        if fault and fault[0] == "fail":
            status = fault[1]["status"]
            headers = {"Retry-After": str(fault[1]["retry_after"])} if status != 500 else {}
            return error(status, *FAULT_CODES[status], headers)
        if fault and not fault[1]["accept"]:
            self._stopped.wait(fault[1]["seconds"])
            return error(504, 20504, "Gateway Timeout (fake: request was not accepted)")
        result = (self._create_message if kind == "Messages" else self._create_call)(call.form)
        if isinstance(result, Answer):
            return result
        payload, job = result
        answer = as_json(201, payload)
        if fault:  # a delay with accept=True: Twilio got it, its answer is slow
            self._schedule(job)
            self._stopped.wait(fault[1]["seconds"])
        else:  # queued now (so wait_for_callbacks sees it), sent once the answer is written
            answer.ready = threading.Event()
            self._schedule(job, answer.ready)
        return answer

    def _control(self, call: Call) -> Answer:
        """Out-of-process control, JSON in and out. GET ``/_fake/messages``, ``/_fake/calls``,
        ``/_fake/callbacks``, ``/_fake/stats``; POST ``/_fake/reset``, ``/_fake/callbacks/deliver`` ({"sid"?}),
        ``/_fake/faults`` ({"type": "fail"|"delay"|"reset", **kwargs of fail_next/delay_next})
        and ``/_fake/config`` (any of opted_out, unreachable, message_outcomes, call_outcomes,
        auto_callbacks, callback_delay, latency, jitter, max_in_flight, error_rate: replaces
        those attributes)."""
        path, body = call.path, (call.json() or {})
        route = (call.method, path)
        if route in (("GET", "/_fake/messages"), ("GET", "/_fake/calls")):
            data = self.messages if path.endswith("messages") else self.calls
        elif route == ("GET", "/_fake/callbacks"):
            data = {"pending": [asdict(c) for c in self.pending_callbacks],
                    "delivered": [asdict(c) for c in self.delivered_callbacks]}
        elif route == ("POST", "/_fake/reset"):
            data = self.reset() or {"ok": True}
        elif route == ("POST", "/_fake/callbacks/deliver"):
            data = [asdict(c) for c in self.deliver_callbacks(body.get("sid"))]
        elif route == ("POST", "/_fake/faults"):
            kind = body.pop("type", None)
            try:
                {"fail": self.fail_next, "delay": self.delay_next, "reset": self.reset_faults}[kind](**body)
            except (KeyError, TypeError, ValueError) as exc:
                return error(400, 20001, f"bad fault {kind!r}: {exc!r}")
            data = {"ok": True}
        elif route == ("GET", "/_fake/stats"):
            with self._lock:
                accepted = len(self._messages)
            data = {"peak_in_flight": self.peak_in_flight, "refused": self.refused, "accepted": accepted}
        elif route == ("POST", "/_fake/config"):
            convert = {"opted_out": set, "unreachable": set, "call_outcomes": dict, "auto_callbacks": bool,
                       "message_outcomes": lambda d: {k: tuple(v) for k, v in d.items()},
                       "callback_delay": float, "latency": float, "jitter": float, "error_rate": float,
                       "max_in_flight": lambda v: int(v) if v else None}
            for name in convert.keys() & body.keys():
                setattr(self, name, convert[name](body[name]))
            data = {"ok": True}
        else:
            return error(404, 20404, f"The requested resource {path} was not found")
        return Answer(200, json.dumps(data).encode())


def main(argv: list[str] | None = None) -> None:
    """Run the fake in the foreground for local demos, until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--account-sid", default=DEFAULT_ACCOUNT_SID)
    parser.add_argument("--auth-token", default="test-token")
    parser.add_argument("--callback-delay", type=float, default=1.0, help="seconds before status callbacks")
    parser.add_argument("--quiet", action="store_true", help="don't log each request")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per API request (default 0.2)")
    parser.add_argument("--jitter", type=float, default=0.05, help="± seconds around the latency (default 0.05)")
    parser.add_argument("--max-in-flight", type=int, default=100,
                        help="account-wide requests served at once; more get 429/20429 (default 100, 0: no cap)")
    parser.add_argument("--error-rate", type=float, default=0.0, help="share of creates answered 500/503 (default 0)")
    parser.add_argument("--seed", type=int, help="for the jitter and the errors")
    args = parser.parse_args(argv)
    fake = FakeTwilio(args.account_sid, args.auth_token, args.host, args.port,
                      callback_delay=args.callback_delay, verbose=not args.quiet, latency=args.latency,
                      jitter=args.jitter, max_in_flight=args.max_in_flight or None, error_rate=args.error_rate,
                      seed=args.seed).start()
    print(f"fake Twilio on {fake.base_url}  account {fake.account_sid}  token {fake.auth_token}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # `kill` stops it cleanly too
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()

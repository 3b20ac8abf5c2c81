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
The HTTP side (requests read, answers written, for aiohttp and WSGI) is fake_twilio_http.py.
"""
from __future__ import annotations

import argparse
import asyncio
import functools
import http.client
import json
import queue
import random
import re
import signal
import sys
import threading
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Self
from urllib.parse import urlencode, urlsplit, urlunsplit

from aiohttp import web
from twilio.request_validator import RequestValidator
from twilio.rest import Client

_ROOT = str(Path(__file__).resolve().parents[1])  # so `python scripts/fake_twilio.py` finds app/ and scripts/
if _ROOT not in sys.path:
    sys.path.append(_ROOT)
from app.channels import dlt
from app.messaging.segments import count_segments
from app.messaging.twilio_transport import BaseUrlHttpClient
from scripts import fake_twilio_http as wire
from scripts.fake_twilio_http import Answer, Call

API = "2010-04-01"
DEFAULT_ACCOUNT_SID = "AC" + "0" * 32
E164 = re.compile(r"^\+[1-9]\d{7,14}$")
ROUTE = re.compile(rf"^/{API}/Accounts/([^/]+)/(Messages|Calls)(?:/([^/]+))?\.json$")
FAULT_CODES = {429: (20429, "Too Many Requests"), 500: (20500, "Internal Server Error"),
               503: (20503, "Service Unavailable")}


def make_client(base_url: str, account_sid: str, auth_token: str,
                timeout: float | None = None) -> Client:
    """A real ``twilio.rest.Client`` whose requests all go to ``base_url``."""
    return Client(account_sid, auth_token, http_client=BaseUrlHttpClient(base_url, timeout))


@dataclass
class Callback:
    """One status callback: the record update it applies and the request it makes."""

    kind: str                    # "message" or "call"
    sid: str
    status: str
    url: str | None              # None: no StatusCallback given; only the record changes
    params: dict
    updates: dict
    response_status: int | None = None   # filled in once delivered
    error: str | None = None


_clock = (-1, "")  # (a second, its RFC 2822 text): format_datetime runs once a second


def _now() -> str:
    global _clock
    second = int(time.time())
    if _clock[0] != second:
        _clock = second, format_datetime(datetime.fromtimestamp(second, UTC))
    return _clock[1]


_ids = random.Random()  # for sids only: a seeded fake's own _rng (jitter, errors) keeps its sequence


def _sid(prefix: str) -> str:
    """``prefix`` and 32 hex digits laid out as ``uuid4().hex`` is (version 4, RFC 4122 variant),
    without a urandom call each."""
    n = _ids.getrandbits(128) & ~(0xF000 << 64) & ~(0xC000 << 48) | (0x4000 << 64) | (0x8000 << 48)
    return f"{prefix}{n:032x}"


@functools.lru_cache(maxsize=4096)
def _segments(body: str) -> str:
    """A message's ``num_segments``; bodies repeat (the same questions go to many learners)."""
    return str(count_segments(body).segments)


def _error(status: int, code: int, message: str, headers: dict | None = None) -> Answer:
    body = {"code": code, "message": message, "status": status,
            "more_info": f"https://www.twilio.com/docs/errors/{code}"}
    return Answer(status, json.dumps(body).encode(), headers)


class FakeTwilio:
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
        self._rng = random.Random(seed)
        self._api_in_flight = 0
        self.peak_in_flight = 0   # the most API requests served at once (for benchmarks)
        self.refused = 0          # requests answered 429 because too many were in flight
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
        self._pending: list[Callback] = []
        self._delivered: list[Callback] = []
        self._faults: list[list] = []  # [[kind, remaining, options], ...], oldest first
        self._queue: queue.Queue = queue.Queue()
        self._n_workers, self._workers = callback_workers, []
        self._inflight, self._idle = 0, threading.Condition()
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
        workers, self._workers = self._workers, []
        for _ in workers:
            self._queue.put(None)

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
                return await wire.write(request, _error(status, *FAULT_CODES[status],
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

    @property
    def pending_callbacks(self) -> list[Callback]:
        """Callbacks waiting for ``deliver_callbacks()`` (made while ``auto_callbacks`` is off)."""
        with self._lock:
            return list(self._pending)

    @property
    def delivered_callbacks(self) -> list[Callback]:
        """Callbacks already applied, in delivery order, with ``response_status``/``error``."""
        with self._lock:
            return list(self._delivered)

    def reset(self) -> None:
        """Forget messages, calls, callbacks, faults and number lists (not credentials)."""
        with self._lock:
            for store in (self._messages, self._calls, self._pending, self._delivered, self._faults):
                store.clear()
        for numbers in (self.opted_out, self.unreachable, self.message_outcomes, self.call_outcomes,
                        self.whatsapp_open, self.contents, self.dlt_templates):
            numbers.clear()

    # -- fault injection (applies to create requests only, in the order injected) --------
    def fail_next(self, count: int = 1, status: int = 429, retry_after: int = 1) -> None:
        """Answer the next ``count`` creates with 429 (20429), 500 (20500) or 503 (20503).

        429 and 503 carry ``Retry-After: retry_after``. Nothing is recorded."""
        if status not in FAULT_CODES:
            raise ValueError(f"status must be one of {sorted(FAULT_CODES)}")
        with self._lock:
            self._faults.append(["fail", count, {"status": status, "retry_after": retry_after}])

    def delay_next(self, count: int = 1, seconds: float = 5.0, accept: bool = True) -> None:
        """Hold the next ``count`` create responses for ``seconds`` (to trip client timeouts).

        ``accept=True``: the resource is recorded (and its callbacks run) before the wait,
        as when Twilio took a message whose response got lost; a retry then sends twice.
        ``accept=False``: nothing is recorded and, after the wait, the answer is 504.
        """
        with self._lock:
            self._faults.append(["delay", count, {"seconds": seconds, "accept": accept}])

    def reset_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _take_fault(self) -> tuple[str, dict] | None:
        with self._lock:
            if not self._faults:
                return None
            fault = self._faults[0]
            fault[1] -= 1
            if fault[1] <= 0:
                self._faults.pop(0)
            return fault[0], fault[2]

    # -- callbacks -----------------------------------------------------------------------
    def deliver_callbacks(self, sid: str | None = None) -> list[Callback]:
        """Deliver pending callbacks now, in order (only those of ``sid`` if given)."""
        with self._lock:
            due = [cb for cb in self._pending if sid in (None, cb.sid)]
            self._pending = [cb for cb in self._pending if sid not in (None, cb.sid)]
        for cb in due:
            self._deliver(cb)
        return due

    def wait_for_callbacks(self, timeout: float = 5.0) -> bool:
        """Block until automatic callbacks are all delivered; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._inflight == 0, timeout)

    def _ensure_workers(self) -> None:
        with self._lock:
            while len(self._workers) < self._n_workers:
                worker = threading.Thread(target=self._work, name="fake-twilio-callbacks", daemon=True)
                self._workers.append(worker)
                worker.start()

    def _schedule(self, job: list[Callback], ready: threading.Event | None = None) -> None:
        """Queue one resource's callbacks; a worker holds them until ``ready`` is set."""
        if not self.auto_callbacks:
            with self._lock:
                self._pending.extend(job)
            return
        with self._idle:
            self._inflight += 1
        self._ensure_workers()
        self._queue.put((time.monotonic() + self.callback_delay, job, ready))

    def _work(self) -> None:
        """Callback worker: a job is one resource's events, so they stay in order."""
        while (item := self._queue.get()) is not None:
            due, job, ready = item
            try:
                if ready is not None:
                    ready.wait(5)  # only stays unset if a WSGI caller never close()s
                time.sleep(max(0.0, due - time.monotonic()))
                for cb in job:
                    if not self._stopping:
                        self._deliver(cb)
            finally:
                with self._idle:
                    self._inflight -= 1
                    self._idle.notify_all()

    def _deliver(self, cb: Callback) -> None:
        """Apply the status change to the record, then POST the signed callback."""
        with self._lock:
            record = (self._messages if cb.kind == "message" else self._calls).get(cb.sid)
            if record is None:  # reset() since it was scheduled
                return
            record.update(cb.updates, date_updated=_now())
        if cb.url:
            try:
                cb.response_status = _post_signed(cb.url, cb.params, self.auth_token)
            except (OSError, http.client.HTTPException, ValueError) as exc:
                cb.error = repr(exc)
        with self._lock:
            self._delivered.append(cb)

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
                return _error(status, *FAULT_CODES[status], headers)
            return self._serve(call)
        finally:
            self._release()

    def _admit(self, method: str):
        """The concurrency cap: a 429 response, or (latency to wait, injected 5xx or None)."""
        with self._lock:
            if self.max_in_flight and self._api_in_flight >= self.max_in_flight:
                self.refused += 1
                return _error(429, 20429, "Too Many Requests: concurrency limit reached", {"Retry-After": "1"})
            self._api_in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self._api_in_flight)
            pause = max(0.0, self.latency + self._rng.uniform(-self.jitter, self.jitter)) if self.latency else 0.0
            fails = bool(self.error_rate) and method == "POST" and self._rng.random() < self.error_rate
            return pause, (self._rng.choice((500, 503)) if fails else None)

    def _release(self) -> None:
        with self._lock:
            self._api_in_flight -= 1

    def _serve(self, call: Call) -> Answer:
        auth = call.auth()
        if not auth or auth.username != self.account_sid or auth.password != self.auth_token:
            return _error(401, 20003, "Authenticate", {"WWW-Authenticate": 'Basic realm="Twilio API"'})
        match = ROUTE.match(call.path)
        if not match or match[1] != self.account_sid:
            return _error(404, 20404, f"The requested resource {call.path} was not found")
        kind, sid = match[2], match[3]
        if call.method == "GET" and sid is None:
            return self._list(call, kind)
        if call.method != ("POST" if sid is None else "GET"):
            return _error(405, 20004, "Method not allowed")
        if sid is not None:
            record = self._copy(self._messages if kind == "Messages" else self._calls, sid)
            if record is None:
                return _error(404, 20404, f"The requested resource {call.path} was not found")
            return _json(200, record)
        fault = self._take_fault()
        if fault and fault[0] == "fail":
            status = fault[1]["status"]
            headers = {"Retry-After": str(fault[1]["retry_after"])} if status != 500 else {}
            return _error(status, *FAULT_CODES[status], headers)
        if fault and not fault[1]["accept"]:
            self._stopped.wait(fault[1]["seconds"])
            return _error(504, 20504, "Gateway Timeout (fake: request was not accepted)")
        result = (self._create_message if kind == "Messages" else self._create_call)(call.form)
        if isinstance(result, Answer):
            return result
        payload, job = result
        answer = _json(201, payload)
        if fault:  # a delay with accept=True: Twilio got it, its answer is slow
            self._schedule(job)
            self._stopped.wait(fault[1]["seconds"])
        else:  # queued now (so wait_for_callbacks sees it), sent once the answer is written
            answer.ready = threading.Event()
            self._schedule(job, answer.ready)
        return answer

    def _list(self, call: Call, kind: str) -> Answer:
        """A one-page list filtered by ``To`` (and ``DateSent>``, ignored: records are recent).

        Saathi asks for this only to reconcile a send whose answer it never saw, so a linear
        scan is fine here, unlike on the create path.
        """
        args = call.args
        to = args.get("To")
        store = self._messages if kind == "Messages" else self._calls
        with self._lock:
            records = [dict(r) for r in store.values() if not to or r.get("to") == to]
        records.reverse()  # newest first, like Twilio
        size = int(args.get("PageSize", 50))
        key = kind.lower()
        return _json(200, {key: records[:size], "page": 0, "page_size": size, "start": 0,
                           "end": max(len(records[:size]) - 1, 0), "uri": call.full_path,
                           "first_page_uri": call.full_path, "next_page_uri": None,
                           "previous_page_uri": None})

    def _create_message(self, form):
        to, from_, service, body = (form.get(k) for k in ("To", "From", "MessagingServiceSid", "Body"))
        if not to:
            return _error(400, 21604, "A 'To' phone number is required.")
        if not from_ and not service:
            return _error(400, 21603, "A 'From' phone number is required.")
        if not body and not form.get("MediaUrl") and not form.get("ContentSid"):
            return _error(400, 21602, "Message body is required.")
        whatsapp = to.startswith("whatsapp:")
        number = to.removeprefix("whatsapp:")
        if not E164.match(number):
            return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if number in self.opted_out:
            return _error(400, 21610, "Attempt to send to unsubscribed recipient")
        if number in self.unreachable:
            return _error(400, 21614, f"'To' number {to} is not a valid mobile number")
        refused, body = self._whatsapp_rules(form, number, body) if whatsapp else (None, body)
        if isinstance(refused, Answer):
            return refused
        if body and len(body) > 1600:
            return _error(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        sid, now = _sid("SM"), _now()
        uri = f"/{API}/Accounts/{self.account_sid}/Messages/{sid}.json"
        payload = {
            "sid": sid, "account_sid": self.account_sid, "api_version": API, "to": to, "from": from_,
            "messaging_service_sid": service, "body": body or "", "direction": "outbound-api",
            # a Messaging Service send starts "accepted" and gets its sender from the pool later
            "status": "queued" if from_ else "accepted", "num_segments": _segments(body or ""),
            "num_media": str(len(form.getlist("MediaUrl"))), "price": None, "price_unit": "USD",
            "error_code": None, "error_message": None, "date_created": now, "date_updated": now,
            "date_sent": None, "uri": uri, "subresource_uris": {"media": uri[:-5] + "/Media.json"},
            "_params": _form_dict(form),
        }
        with self._lock:
            self._messages[sid] = payload
        base = {"MessageSid": sid, "SmsSid": sid, "AccountSid": self.account_sid, "To": to,
                "From": from_ or self.service_number, "ApiVersion": API}
        if service:
            base["MessagingServiceSid"] = service

        def event(status: str, error_code: int | None = None) -> Callback:
            params = dict(base, MessageStatus=status, SmsStatus=status)
            updates = {"status": status, "from": base["From"]}
            if status == "sent":
                updates["date_sent"] = _now()
            if error_code:
                params["ErrorCode"] = str(error_code)
                updates.update(error_code=error_code, error_message=f"Message {status}")
            return Callback("message", sid, status, form.get("StatusCallback"), params, updates)

        final, error_code = self.message_outcomes.get(number, ("delivered", None))
        if refused:  # WhatsApp took the request, Meta refuses the message: 63016
            final, error_code = "failed", refused
        registered = self.dlt_templates.get(from_ or "") if number.startswith("+91") and not whatsapp else None
        if registered is not None and not any(dlt.pattern(text).match(body or "") for text in registered):
            final, error_code = "undelivered", dlt.REFUSED
        job = [event("failed", error_code)] if final == "failed" else [event("sent"), event(final, error_code)]
        if whatsapp and final == "delivered" and self.whatsapp_read:
            job.append(event("read"))
        return payload, job

    def _whatsapp_rules(self, form, number: str, body: str | None):
        """(None | 63016 | an error Answer, the body as rendered) for a WhatsApp create."""
        sid = form.get("ContentSid")
        if not sid:
            return (None if number in self.whatsapp_open else 63016), body
        content = self.contents.get(sid)
        if content is None:
            return _error(400, 21655, f"The Content SID {sid} is invalid"), body
        try:
            variables = json.loads(form.get("ContentVariables") or "{}")
        except ValueError:
            return _error(400, 21656, "The ContentVariables parameter is invalid"), body
        if not isinstance(variables, dict):
            return _error(400, 21656, "The ContentVariables parameter is invalid"), body
        # The message's text as Twilio keeps it: the content's body (if the fake was told it)
        # with the variables filled in, else the first variable.
        text = content.get("body") or "{{1}}"
        for key, value in variables.items():
            text = text.replace("{{" + str(key) + "}}", str(value))
        if number in self.whatsapp_open:
            if content.get("type", "quick-reply") == "quick-reply" and not content.get("approved") \
                    and content.get("buttons", 0) > 3:
                return _error(400, 21655, f"Content {sid}: more than 3 quick replies in a session need approval"), body
            return None, body or text
        return (None if content.get("approved") else 63016), body or text

    def whatsapp_reply(self, number: str, *, body: str | None = None, tap: int | None = None,
                       to: str | None = None, url: str | None = None) -> dict:
        """What Twilio posts when ``number`` writes on WhatsApp, and the window it opens.

        ``tap``: the learner tapped button ``tap`` (1-based) of the last content message
        sent to them: ``ButtonText`` and ``ButtonPayload`` are that button's, as Twilio
        sends them. With ``url`` the form is posted there, signed; it is returned either way.
        """
        self.whatsapp_open.add(number)
        params = {"MessageSid": _sid("SM"), "AccountSid": self.account_sid,
                  "From": "whatsapp:" + number, "To": to or "whatsapp:" + self.service_number,
                  "NumMedia": "0", "WaId": number.lstrip("+"), "ProfileName": "Learner", "ApiVersion": API}
        if tap is not None:
            sent = [m for m in self.messages if m["to"] == "whatsapp:" + number and m["_params"].get("ContentSid")]
            if not sent:
                raise ValueError(f"no content message was sent to {number}: nothing to tap")
            last = sent[-1]
            variables = json.loads(last["_params"].get("ContentVariables") or "{}")
            title, button = variables.get(str(2 * tap)), variables.get(str(2 * tap + 1))
            if title is None:
                raise ValueError(f"message {last['sid']} has no button {tap}")
            params.update(Body=title, ButtonText=title, ButtonPayload=button, MessageType="button",
                          OriginalRepliedMessageSid=last["sid"])
        else:
            params.update(Body=body or "", MessageType="text")
        if url:
            _post_signed(url, params, self.auth_token)
        return params

    def _create_call(self, form):
        to, from_ = form.get("To"), form.get("From")
        if not to:
            return _error(400, 21201, "No 'To' number is specified")
        if not from_:
            return _error(400, 21213, "No 'From' number is specified")
        if not (form.get("Url") or form.get("Twiml") or form.get("ApplicationSid")):
            return _error(400, 21205, "Url parameter is required.")
        if not E164.match(to):
            return _error(400, 21211, f"Invalid 'To' Phone Number: {to}")
        sid, now = _sid("CA"), _now()
        payload = {
            "sid": sid, "account_sid": self.account_sid, "api_version": API, "to": to, "to_formatted": to,
            "from": from_, "from_formatted": from_, "status": "queued", "direction": "outbound-api",
            "start_time": None, "end_time": None, "duration": None, "price": None, "price_unit": "USD",
            "answered_by": None, "parent_call_sid": None, "queue_time": "0", "date_created": now,
            "date_updated": now, "uri": f"/{API}/Accounts/{self.account_sid}/Calls/{sid}.json",
            "_params": _form_dict(form),
        }
        with self._lock:
            self._calls[sid] = payload
        # Twilio always reports the end ("completed" event, whatever the final status);
        # initiated/ringing/answered only when asked for in StatusCallbackEvent.
        wanted = set(" ".join(form.getlist("StatusCallbackEvent")).split()) | {"completed"}
        final = self.call_outcomes.get(to, "completed")
        steps = {"completed": ("initiated", "ringing", "answered", "completed"),
                 "failed": ("initiated", "completed")}.get(final, ("initiated", "ringing", "completed"))
        job = []
        for seq, step in enumerate(s for s in steps if s in wanted):
            status = {"answered": "in-progress", "completed": final}.get(step, step)
            params = {"CallSid": sid, "CallStatus": status, "AccountSid": self.account_sid, "To": to,
                      "From": from_, "Called": to, "Caller": from_, "Direction": "outbound-api",
                      "ApiVersion": API, "SequenceNumber": str(seq), "Timestamp": _now(),
                      "CallbackSource": "call-progress-events"}
            updates = {"status": status, "start_time": _now()} if step == "answered" else {"status": status}
            if step == "completed":
                duration = str(self.call_duration if final == "completed" else 0)
                params["CallDuration"] = duration
                updates.update(duration=duration, end_time=_now())
            job.append(Callback("call", sid, status, form.get("StatusCallback"), params, updates))
        return payload, job

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
                return _error(400, 20001, f"bad fault {kind!r}: {exc!r}")
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
            return _error(404, 20404, f"The requested resource {path} was not found")
        return Answer(200, json.dumps(data).encode())


def _json(status: int, record: dict) -> Answer:
    """A record as Twilio returns it (without the fake's private ``_params``)."""
    body = {k: v for k, v in record.items() if k != "_params"}
    return Answer(status, json.dumps(body).encode())


def _post_signed(url: str, params: dict, auth_token: str, timeout: float = 10) -> int:
    """POST a form as Twilio does, signed; returns the status. Plain http.client, not
    requests: it halves the CPU per callback, which matters when 10k sends make 20k."""
    signature = RequestValidator(auth_token).compute_signature(url, params)
    parts = urlsplit(url)
    conn_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = conn_class(parts.netloc, timeout=timeout)
    try:
        conn.request("POST", urlunsplit(("", "", parts.path or "/", parts.query, "")), urlencode(params),
                     {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature,
                      "User-Agent": "TwilioProxy/1.1"})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _form_dict(form) -> dict:
    """The request form as a plain dict; repeated fields (StatusCallbackEvent) as lists."""
    return {k: (v[0] if len(v) == 1 else v) for k, v in form.lists()}


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

"""The fake Twilio must behave like Twilio for the real ``twilio`` client.

These tests drive ``scripts/fake_twilio.py`` only through the real client (via
``make_client``) and plain HTTP, so a fake that drifts from Twilio's wire format fails
here rather than in the app's tests. No conftest fixtures: the fixtures are local.
"""
from __future__ import annotations

import queue
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

ROOT = str(Path(__file__).resolve().parents[1])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from scripts.fake_twilio import BaseUrlHttpClient, FakeTwilio, make_client

TO, FROM = "+919812345678", "+15005550006"


@pytest.fixture
def fake():
    with FakeTwilio() as server:
        yield server


@pytest.fixture
def client(fake):
    return make_client(fake.base_url, fake.account_sid, fake.auth_token, timeout=5)


@pytest.fixture
def receiver():
    """A local status-callback endpoint: yields (url, queue of (url, form, signature))."""
    received: queue.Queue = queue.Queue()

    def app(environ, start_response):
        request = Request(environ)
        received.put((request.url, request.form.to_dict(), request.headers.get("X-Twilio-Signature")))
        return Response("", 204)(environ, start_response)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/twilio/status", received
    server.shutdown()
    server.server_close()


def test_base_url_client_rewrites_host_keeps_path_and_query(monkeypatch):
    seen = []
    monkeypatch.setattr(TwilioHttpClient, "request", lambda self, method, url, *a, **kw: seen.append(url))
    BaseUrlHttpClient("http://127.0.0.1:1/prefix/").request(
        "GET", "https://api.edge.us1.twilio.com/2010-04-01/Accounts/AC1/Messages.json?PageSize=5")
    assert seen == ["http://127.0.0.1:1/prefix/2010-04-01/Accounts/AC1/Messages.json?PageSize=5"]
    with pytest.raises(ValueError):
        BaseUrlHttpClient("127.0.0.1:8099")


def test_create_and_fetch_message(fake, client):
    msg = client.messages.create(to=TO, from_=FROM, body="Namaste")
    assert msg.sid.startswith("SM") and len(msg.sid) == 34
    assert (msg.status, msg.to, msg.from_, msg.body, msg.num_segments) == ("queued", TO, FROM, "Namaste", "1")
    assert msg.account_sid == fake.account_sid and msg.date_created is not None
    assert fake.wait_for_callbacks()
    fetched = client.messages(msg.sid).fetch()
    assert fetched.sid == msg.sid and fetched.status == "delivered" and fetched.date_sent is not None
    assert [m["sid"] for m in fake.messages] == [msg.sid]
    assert fake.messages[0]["_params"]["Body"] == "Namaste"
    listed = requests.get(fake.base_url + "/_fake/messages", timeout=5).json()
    assert listed[0]["sid"] == msg.sid


def test_messaging_service_sid_is_accepted(fake, client):
    msg = client.messages.create(to=TO, messaging_service_sid="MG" + "1" * 32, body="hi")
    assert msg.status == "accepted" and msg.messaging_service_sid == "MG" + "1" * 32


def test_create_and_fetch_call(fake, client):
    call = client.calls.create(to=TO, from_=FROM, url="http://127.0.0.1:9/twiml")
    assert call.sid.startswith("CA") and len(call.sid) == 34 and call.status == "queued"
    assert fake.wait_for_callbacks()
    fetched = client.calls(call.sid).fetch()
    assert fetched.status == "completed" and fetched.duration == str(fake.call_duration)
    assert fake.calls[0]["_params"]["Url"] == "http://127.0.0.1:9/twiml"


def test_unknown_sid_is_404(client):
    with pytest.raises(TwilioRestException) as err:
        client.messages("SM" + "f" * 32).fetch()
    assert err.value.status == 404 and err.value.code == 20404


def test_wrong_credentials_is_401(fake):
    bad = make_client(fake.base_url, fake.account_sid, "wrong-token")
    with pytest.raises(TwilioRestException) as err:
        bad.messages.create(to=TO, from_=FROM, body="hi")
    assert err.value.status == 401 and err.value.code == 20003
    assert fake.messages == []


@pytest.mark.parametrize("to, code", [("12345", 21211), ("+91 98123", 21211), ("+1234567", 21211)])
def test_invalid_number_is_21211(client, to, code):
    with pytest.raises(TwilioRestException) as err:
        client.messages.create(to=to, from_=FROM, body="hi")
    assert err.value.status == 400 and err.value.code == code


def test_missing_body_is_21602(client):
    with pytest.raises(TwilioRestException) as err:
        client.messages.create(to=TO, from_=FROM)
    assert err.value.status == 400 and err.value.code == 21602


def test_opted_out_and_unreachable(fake, client):
    fake.opted_out.add(TO)
    fake.unreachable.add("+919800000000")
    with pytest.raises(TwilioRestException) as err:
        client.messages.create(to=TO, from_=FROM, body="hi")
    assert err.value.status == 400 and err.value.code == 21610
    with pytest.raises(TwilioRestException) as err:
        client.messages.create(to="+919800000000", from_=FROM, body="hi")
    assert err.value.code == 21614
    assert fake.messages == []


def test_429_fault_then_success(fake, client):
    fake.fail_next(1, status=429, retry_after=3)
    with pytest.raises(TwilioRestException) as err:
        client.messages.create(to=TO, from_=FROM, body="hi")
    assert err.value.status == 429 and err.value.code == 20429
    assert client.messages.create(to=TO, from_=FROM, body="hi").status == "queued"
    assert len(fake.messages) == 1


def test_faults_over_http(fake, client):
    url = fake.base_url + "/_fake/faults"
    assert requests.post(url, json={"type": "fail", "count": 2, "status": 503}, timeout=5).ok
    raw = requests.post(f"{fake.base_url}/2010-04-01/Accounts/{fake.account_sid}/Messages.json",
                        data={"To": TO, "From": FROM, "Body": "x"},
                        auth=(fake.account_sid, fake.auth_token), timeout=5)
    assert raw.status_code == 503 and raw.json()["code"] == 20503 and "Retry-After" in raw.headers
    with pytest.raises(TwilioRestException) as err:
        client.messages.create(to=TO, from_=FROM, body="hi")
    assert err.value.status == 503
    client.messages.create(to=TO, from_=FROM, body="hi")
    assert requests.post(url, json={"type": "bogus"}, timeout=5).status_code == 400


def test_delay_fault_times_out_client_but_message_is_accepted(fake):
    fake.delay_next(1, seconds=1.0, accept=True)
    impatient = make_client(fake.base_url, fake.account_sid, fake.auth_token, timeout=0.2)
    with pytest.raises(requests.exceptions.Timeout):
        impatient.messages.create(to=TO, from_=FROM, body="hi")
    assert len(fake.messages) == 1  # Twilio took it although the client gave up
    fake.delay_next(1, seconds=0.5, accept=False)
    with pytest.raises(requests.exceptions.Timeout):
        impatient.messages.create(to=TO, from_=FROM, body="hi")
    assert len(fake.messages) == 1


def test_status_callbacks_are_signed(fake, client, receiver):
    url, received = receiver
    msg = client.messages.create(to=TO, from_=FROM, body="hi", status_callback=url)
    validator = RequestValidator(fake.auth_token)
    statuses = []
    for _ in range(2):
        seen_url, form, signature = received.get(timeout=5)
        assert validator.validate(seen_url, form, signature)
        assert not validator.validate(seen_url, dict(form, To="+10000000000"), signature)
        assert form["MessageSid"] == form["SmsSid"] == msg.sid and form["AccountSid"] == fake.account_sid
        assert form["To"] == TO and form["From"] == FROM
        statuses.append(form["MessageStatus"])
    assert statuses == ["sent", "delivered"]


def test_failing_number_gets_undelivered_with_error_code(fake, client, receiver):
    url, received = receiver
    fake.message_outcomes[TO] = ("undelivered", 30003)
    msg = client.messages.create(to=TO, from_=FROM, body="hi", status_callback=url)
    forms = [received.get(timeout=5)[1] for _ in range(2)]
    assert [f["MessageStatus"] for f in forms] == ["sent", "undelivered"]
    assert forms[1]["ErrorCode"] == "30003" and "ErrorCode" not in forms[0]
    assert fake.wait_for_callbacks()
    fetched = client.messages(msg.sid).fetch()
    assert fetched.status == "undelivered" and fetched.error_code == 30003


def test_manual_callbacks_and_call_events(fake, client, receiver):
    url, received = receiver
    fake.auto_callbacks = False
    fake.call_outcomes[TO] = "busy"
    call = client.calls.create(to=TO, from_=FROM, twiml="<Response/>", status_callback=url,
                               status_callback_event=["initiated", "ringing", "answered", "completed"])
    assert [cb.status for cb in fake.pending_callbacks] == ["initiated", "ringing", "busy"]
    assert client.calls(call.sid).fetch().status == "queued"
    delivered = fake.deliver_callbacks()
    assert [cb.response_status for cb in delivered] == [204, 204, 204] and fake.pending_callbacks == []
    forms = [received.get(timeout=5)[1] for _ in range(3)]
    assert [f["CallStatus"] for f in forms] == ["initiated", "ringing", "busy"]
    assert forms[-1]["CallSid"] == call.sid and forms[-1]["CallDuration"] == "0"
    assert client.calls(call.sid).fetch().status == "busy"


@pytest.mark.parametrize("body, segments", [
    ("a" * 160, "1"), ("a" * 161, "2"), ("क" * 70, "1"), ("क" * 71, "2"), ("{" * 80, "1"), ("{" * 81, "2"),
])
def test_num_segments(client, body, segments):
    assert client.messages.create(to=TO, from_=FROM, body=body).num_segments == segments


def test_reset_forgets_everything(fake, client):
    fake.opted_out.add(TO)
    fake.fail_next(5)
    requests.post(fake.base_url + "/_fake/reset", timeout=5).raise_for_status()
    client.messages.create(to=TO, from_=FROM, body="hi")
    fake.reset()
    assert fake.messages == [] and fake.calls == [] and fake.opted_out == set()


def test_throughput_smoke(fake, client):
    start = time.perf_counter()
    for i in range(200):
        client.messages.create(to=TO, from_=FROM, body=f"msg {i}")
    assert fake.wait_for_callbacks(10)
    assert len(fake.messages) == 200 and {m["status"] for m in fake.messages} == {"delivered"}
    assert time.perf_counter() - start < 10


# -- the network model: latency, a cap on requests in flight, random 5xx -----------------------
def test_beyond_the_accounts_requests_in_flight_twilio_answers_429_20429(fake, client):
    fake.latency, fake.max_in_flight = 1.0, 2  # long enough that all five overlap
    outcomes: list = []

    def send():
        try:
            client.messages.create(to=TO, from_=FROM, body="hello")
            outcomes.append("created")
        except TwilioRestException as exc:
            outcomes.append((exc.status, exc.code))

    threads = [threading.Thread(target=send) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes, key=str) == sorted(["created"] * 2 + [(429, 20429)] * 3, key=str)
    assert fake.peak_in_flight == 2 and fake.refused == 3
    assert len(fake.messages) == 2  # a refused request records nothing


def test_latency_is_spent_per_request(fake, client):
    fake.latency = 0.3
    started = time.monotonic()
    client.messages.create(to=TO, from_=FROM, body="hello")
    assert time.monotonic() - started >= 0.3  # a lower bound only: never flaky on a slow machine


def test_an_error_rate_answers_creates_with_5xx(fake, client):
    fake.error_rate = 1.0
    with pytest.raises(TwilioRestException) as failed:
        client.messages.create(to=TO, from_=FROM, body="hello")
    assert (failed.value.status, failed.value.code) in ((500, 20500), (503, 20503))
    assert fake.messages == []


def test_the_command_line_fake_defaults_to_the_network_production_sees(monkeypatch):
    from scripts.fake_twilio import main

    seen = {}

    class Started(Exception):
        pass

    def capture(self, *args, **kwargs):
        seen.update(kwargs)
        raise Started

    monkeypatch.setattr(FakeTwilio, "__init__", capture)
    with pytest.raises(Started):
        main(["--port", "0"])
    assert (seen["latency"], seen["jitter"], seen["max_in_flight"], seen["error_rate"]) == (0.2, 0.05, 100, 0.0)

"""The app's real Messages and Calls requests, checked against Twilio's own API description.

The dispatcher sends through ``TwilioTransport`` (the real ``twilio`` client) to Prism,
which validates every request against ``twilio_api_v2010.json`` and refuses one Twilio
would refuse (HTTP 422): a refused send is a failed test, not a learner who never hears
from us. The fake Twilio API (scripts/fake_twilio.py) is ours and could share our
mistakes; this is Twilio's word.
"""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from twilio.base.exceptions import TwilioException, TwilioRestException

from app import create_app
from app.learning.sessions import complete_session
from app.messaging.transport import get_transport
from app.messaging.twilio_async import _BaseUrlAsyncClient
from app.messaging.twilio_transport import TwilioTransport
from app.scheduling.dispatcher import dispatch_once
from tests.factories import cohort, make_learners, make_module

pytestmark = pytest.mark.slow

ACCOUNT = "AC" + "0123456789abcdef" * 2
SERVICE = "MG" + "fedcba9876543210" * 2
LEARNERS = """phone,name,site,language,cohort,channel
+919876543210,Asha Devi,Andheri Mall,en,andheri-march,voice
+919876543211,Ravi Kumar,Andheri Mall,hi,andheri-march,sms
+919876543212,Sunil Rao,Andheri Mall,en,andheri-march,sms
"""


def recording(transport: TwilioTransport, monkeypatch=None) -> list:
    """Keep every (method, url, data, response) the transport's client makes; with
    ``monkeypatch``, the async client's too (the dispatcher sends SMS through it)."""
    http = transport.client.http_client
    seen = []
    original = http.request

    def request(method, url, *args, **kwargs):
        response = original(method, url, *args, **kwargs)
        seen.append((method, url, kwargs.get("data"), response))
        return response

    http.request = request
    if monkeypatch is not None:
        original_async = _BaseUrlAsyncClient.request

        async def request_async(self, method, url, *args, **kwargs):
            response = await original_async(self, method, url, *args, **kwargs)
            seen.append((method, url, kwargs.get("data"), response))
            return response

        monkeypatch.setattr(_BaseUrlAsyncClient, "request", request_async)
    return seen


def request_violations(response) -> list:
    raw = (response.headers or {}).get("sl-violations")
    return [v for v in json.loads(raw) if v.get("location", [""])[0] == "request"] if raw else []


def twilio_app(app_config, prism, **extra):
    return create_app({**app_config, "TRANSPORT": "twilio", "TWILIO_ACCOUNT_SID": ACCOUNT,
                       "TWILIO_API_BASE": prism, "PUBLIC_URL": "https://saathi.example.org", **extra})


def hold_session(app, clock):
    from app.db import session_scope

    with app.app_context(), session_scope(app) as db:
        module = make_module(db)
        make_learners(db, clock.now(), LEARNERS)
        complete_session(db=db, cohort=cohort(db), module=module, held_at=clock.now(), now=clock.now())


def test_prism_refuses_what_twilio_would_refuse(prism):
    """The harness works: requests that break Twilio's description are refused."""
    client = TwilioTransport(account_sid=ACCOUNT, auth_token="t", from_number="+15005550006",
                             api_base=prism).client
    with pytest.raises(TwilioRestException) as bad_url:
        client.messages.create(to="+919876543210", from_="+15005550006", body="x", status_callback="not a url")
    with pytest.raises(TwilioRestException) as bad_method:
        client.calls.create(to="+919876543210", from_="+15005550006", url="https://x.example/v", method="FETCH")
    with pytest.raises(TwilioRestException) as bad_event:
        client.calls.create(to="+919876543210", from_="+15005550006", url="https://x.example/v",
                            status_callback_event=["initiated", 7 * "x"], status_callback="https://x.example/s",
                            status_callback_method="PUT")
    assert {bad_url.value.status, bad_method.value.status, bad_event.value.status} == {422}


@pytest.mark.parametrize("sender", ["from_number", "messaging_service"])
def test_the_apps_messages_and_calls_pass_twilios_validation(app_config, prism, clock, sender, monkeypatch):
    extra = {"TWILIO_MESSAGING_SERVICE_SID": SERVICE} if sender == "messaging_service" else {}
    app = twilio_app(app_config, prism, **extra)
    hold_session(app, clock)
    seen = recording(get_transport(app), monkeypatch)
    with app.app_context():  # as in `saathi worker` (voice planning reads the app's settings)
        stats = dispatch_once(app=app)
    print(f"\n{sender}: {stats.delivery.sent} sent, {stats.delivery.failed} failed, "
          f"{stats.delivery.retried} retried; {len(seen)} requests checked by Prism")
    assert (stats.delivery.sent, stats.delivery.failed, stats.delivery.retried) == (3, 0, 0)
    kinds = sorted(url.rsplit("/", 1)[-1] for _, url, _, _ in seen)
    assert kinds == ["Calls.json", "Messages.json", "Messages.json"]
    for method, url, data, response in seen:
        assert response.status_code == 201, (url, data, response.text[:500])
        assert not request_violations(response), (url, data, request_violations(response))
    call = next(data for _, url, data, _ in seen if url.endswith("Calls.json"))
    assert call["StatusCallbackEvent"] == ["completed"] and call["Url"].startswith("https://saathi.example.org/")
    app.extensions["saathi.engine"].dispose()


def test_reconciling_after_a_crash_asks_twilio_a_valid_question(prism):
    """``find_sent`` (the list call after a timeout or a dead worker) is a request Twilio takes."""
    transport = TwilioTransport(account_sid=ACCOUNT, auth_token="t", from_number="+15005550006", api_base=prism)
    seen = recording(transport)
    try:
        transport.find_sent(to="+919876543210", body="Q1/3 ...", since=datetime.now(UTC) - timedelta(hours=1))
    except TwilioException:
        pass  # the client then follows Prism's made-up next_page_uri: not a request we build
    method, url, _, response = seen[0]
    assert "/Messages.json" in url
    assert method == "GET" and response.status_code == 200
    assert not request_violations(response)

"""Missed calls answered by a callback, and dials that fail: through the real twilio client
against the fake Twilio API (scripts/fake_twilio.py), webhooks signed as Twilio signs them."""
from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from app import create_app
from app.learning.inbound import receive_sms
from app.models import Answer, Inbound, Learner, Outbox, Prompt, VoiceCall
from app.scheduling.dispatcher import dispatch_once
from tests.conftest import AUTH_TOKEN, PUBLIC_URL, sign
from tests.factories import app_policy as _policy
from tests.factories import held_session

INDIA = ZoneInfo("Asia/Kolkata")
LEARNERS = """phone,name,site,language,cohort,channel
+919876543210,Asha Devi,Andheri Mall,en,andheri-march,voice
+919876543211,Ravi Kumar,Andheri Mall,en,andheri-march,both
+919876543212,Sunil Rao,Andheri Mall,en,andheri-march,sms
"""
SERVICE = "+15005550006"


@pytest.fixture
def twilio_app(app_config, fake_twilio):
    """The app sending through the fake Twilio API; status callbacks are relayed by the test."""
    fake_twilio.auto_callbacks = False
    app = create_app({**app_config, "TRANSPORT": "twilio", "TWILIO_ACCOUNT_SID": fake_twilio.account_sid,
                      "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_API_BASE": fake_twilio.base_url,
                      "TWILIO_TIMEOUT": 2})
    yield app
    app.extensions["saathi.engine"].dispose()


@pytest.fixture
def learners(db, clock):
    people = held_session(db, clock.now(), LEARNERS)
    return people


def signed(app, path: str, params: dict):
    return app.test_client().post(path, data=params,
                                  headers={"X-Twilio-Signature": sign(PUBLIC_URL + path, params)})


def tick(app):
    with app.app_context():
        return dispatch_once(app=app)


def missed_call(app, phone: str, sid: str | None = None) -> ET.Element:
    response = signed(app, "/twilio/voice/incoming", {
        "CallSid": sid or "CA" + uuid.uuid4().hex, "AccountSid": "AC" + "0" * 32, "From": phone,
        "To": SERVICE, "CallStatus": "ringing", "Direction": "inbound", "ApiVersion": "2010-04-01"})
    assert response.status_code == 200 and response.mimetype == "application/xml"
    return ET.fromstring(response.data)


class Relay:
    """Delivers the fake's status callbacks to the app, each once, as Twilio would."""

    def __init__(self, app, fake):
        self.app, self.fake, self.done = app, fake, set()

    def __call__(self) -> list:
        fresh = [cb for cb in self.fake.pending_callbacks if id(cb) not in self.done]
        for cb in fresh:
            self.done.add(id(cb))
            assert signed(self.app, urlsplit(cb.url).path, cb.params).status_code == 204
        return fresh


def calls_to(fake, phone):
    return [c for c in fake.calls if c["to"] == phone]


def fresh(db):
    """Forget what the test's session has seen: the app committed in its own sessions."""
    db.rollback()
    db.expire_all()


def test_a_missed_call_from_a_learner_is_rejected_and_called_back_exactly_once(twilio_app, fake_twilio, db,
                                                                               clock, learners):
    _, _, sunil = learners
    for body in ("2", "2", "1", "5", "0"):  # Sunil did his quiz by SMS; now he wants to practise
        if body == "2" and not db.exec(select(Prompt).where(Prompt.status == "pending")).first():
            tick(twilio_app)
        receive_sms(db=db, sid="SM" + uuid.uuid4().hex, from_number=sunil.phone, body=body, now=clock.now(), policy=_policy())
        db.commit()
    relay = Relay(twilio_app, fake_twilio)
    relay()
    fake_twilio.reset()
    clock.advance(hours=1)

    root = missed_call(twilio_app, sunil.phone, sid="CAmissed1")
    assert [(el.tag, el.get("reason")) for el in root] == [("Reject", "busy")]  # not answered: not charged
    again = missed_call(twilio_app, sunil.phone, sid="CAmissed1")  # Twilio retries the webhook
    assert ET.tostring(again) == ET.tostring(root)
    fresh(db)
    inbound = db.exec(select(Inbound).where(Inbound.sid == "CAmissed1")).one()
    assert (inbound.channel, inbound.learner_id, inbound.reply) == ("voice", sunil.id, "callback")

    assert calls_to(fake_twilio, sunil.phone) == []
    clock.advance(seconds=11)  # the callback waits for the missed call to hang up
    tick(twilio_app)
    tick(twilio_app)
    (call,) = calls_to(fake_twilio, sunil.phone)
    assert call["from"] == SERVICE
    assert call["_params"]["Url"].startswith(PUBLIC_URL + "/twilio/voice?call=")
    assert call["_params"]["StatusCallback"] == PUBLIC_URL + "/twilio/call-status"
    fresh(db)
    row = db.exec(select(Outbox).where(Outbox.sid == call["sid"])).one()
    assert (row.kind, row.purpose, row.learner_id) == ("call", "callback", sunil.id)

    # The practice session: his cards, soonest due first, graded as ever.
    path = urlsplit(call["_params"]["Url"])
    root = ET.fromstring(signed(twilio_app, f"{path.path}?{path.query}", {"CallSid": call["sid"]}).data)
    assert root[0].text.startswith("Hello Sunil")
    assert "Question" not in root.find("Gather")[0].text  # practice, not numbered
    while root.find("Gather") is not None:
        action = urlsplit(root.find("Gather").get("action"))
        root = ET.fromstring(signed(twilio_app, f"{action.path}?{action.query}",
                                    {"CallSid": call["sid"], "Digits": "1"}).data)
    assert root[-1].tag == "Hangup"
    fresh(db)
    assert db.exec(select(Answer).where(Answer.learner_id == sunil.id, Answer.channel == "voice")
                   .order_by(Answer.id)).all()
    assert [(cb.status, cb.params["CallDuration"]) for cb in relay() if cb.sid == call["sid"]] == [
        ("completed", "12")]
    fresh(db)
    assert db.get(Outbox, row.id).status == "completed" and db.get(Outbox, row.id).duration_seconds == 12

    # More missed calls inside the half hour: no more callbacks.
    clock.advance(minutes=10)
    assert missed_call(twilio_app, sunil.phone)[0].tag == "Reject"
    clock.advance(seconds=30)
    tick(twilio_app)
    assert len(calls_to(fake_twilio, sunil.phone)) == 1
    # After it, one more.
    clock.advance(minutes=25)
    missed_call(twilio_app, sunil.phone)
    clock.advance(seconds=30)
    tick(twilio_app)
    assert len(calls_to(fake_twilio, sunil.phone)) == 2


def test_an_unknown_caller_hears_why_and_gets_no_callback(twilio_app, fake_twilio, db, clock, learners):
    root = missed_call(twilio_app, "+919999999999", sid="CAstranger")
    assert [el.tag for el in root] == ["Say", "Hangup"]
    assert "not registered with Saathi" in root[0].text and root[0].get("voice")
    missed_call(twilio_app, "+919999999999", sid="CAstranger")
    clock.advance(minutes=1)
    tick(twilio_app)
    assert calls_to(fake_twilio, "+919999999999") == []
    fresh(db)
    assert db.exec(select(Inbound).where(Inbound.sid == "CAstranger")).one().reply == "unknown"
    assert signed(twilio_app, "/twilio/voice/incoming", {"From": "+919999999999"}).status_code == 400


def test_busy_and_unanswered_calls_are_retried_then_given_up_until_the_next_day(twilio_app, fake_twilio, db,
                                                                                clock, learners):
    asha, _, _ = learners
    relay = Relay(twilio_app, fake_twilio)
    fake_twilio.call_outcomes[asha.phone] = "busy"
    tick(twilio_app)
    assert len(calls_to(fake_twilio, asha.phone)) == 1
    relay()
    fresh(db)
    rows = db.exec(select(Outbox).where(Outbox.learner_id == asha.id).order_by(Outbox.id)).all()
    assert [(r.purpose, r.status) for r in rows] == [("prompt", "busy"), ("retry", "queued")]
    assert rows[1].next_attempt_at == clock.now() + timedelta(minutes=10)
    assert rows[1].body == rows[0].body  # the same call, dialled again
    relay()  # nothing new: a replayed callback would change nothing either
    (busy,) = [cb for cb in fake_twilio.pending_callbacks if cb.kind == "call" and cb.params["To"] == asha.phone]
    assert signed(twilio_app, "/twilio/call-status", busy.params).status_code == 204
    fresh(db)
    assert len(db.exec(select(Outbox).where(Outbox.learner_id == asha.id)).all()) == 2

    clock.advance(minutes=5)
    tick(twilio_app)
    assert len(calls_to(fake_twilio, asha.phone)) == 1  # not yet
    clock.advance(minutes=5)
    fake_twilio.call_outcomes[asha.phone] = "no-answer"
    tick(twilio_app)
    assert len(calls_to(fake_twilio, asha.phone)) == 2
    relay()
    clock.advance(minutes=20)
    fake_twilio.call_outcomes[asha.phone] = "failed"
    tick(twilio_app)
    assert len(calls_to(fake_twilio, asha.phone)) == 3
    relay()
    fresh(db)
    assert db.exec(select(VoiceCall).where(VoiceCall.learner_id == asha.id)).one().status == "failed"
    first = db.exec(select(Prompt).where(Prompt.learner_id == asha.id, Prompt.seq == 1)).one()
    assert first.status == "queued"  # never answered, so never wrong: it comes again
    assert db.exec(select(Answer)).all() == []
    learner = db.get(Learner, asha.id)
    assert learner.next_contact_at.astimezone(INDIA) == datetime(2026, 3, 3, 9, 0, tzinfo=INDIA)
    assert [m for m in fake_twilio.messages if m["to"] == asha.phone] == []  # voice only: no SMS

    clock.advance(hours=2)
    tick(twilio_app)
    assert len(calls_to(fake_twilio, asha.phone)) == 3
    clock.set(datetime(2026, 3, 3, 9, 30, tzinfo=INDIA))
    del fake_twilio.call_outcomes[asha.phone]
    tick(twilio_app)
    assert len(calls_to(fake_twilio, asha.phone)) == 4


def test_a_busy_callback_that_outran_the_sid_commit_is_applied_by_the_next_pass(twilio_app, fake_twilio, db,
                                                                               clock, learners):
    """The call-status webhook waits a moment for the dial's SID and then keeps the event:
    the next dispatch pass acts on it, and the learner is called again."""
    from app.models import DeliveryEvent

    asha, _, _ = learners
    tick(twilio_app)
    fresh(db)
    (row,) = db.exec(select(Outbox).where(Outbox.learner_id == asha.id)).all()
    assert row.kind == "call" and row.status == "accepted"
    db.add(DeliveryEvent(sid=row.sid, status="busy", received_at=clock.now()))
    db.commit()
    clock.advance(seconds=20)
    tick(twilio_app)
    fresh(db)
    rows = db.exec(select(Outbox).where(Outbox.learner_id == asha.id).order_by(Outbox.id)).all()
    assert [(r.purpose, r.status) for r in rows] == [("prompt", "busy"), ("retry", "queued")]
    assert db.exec(select(DeliveryEvent).where(DeliveryEvent.sid == row.sid)).one().applied


def test_retries_wait_for_the_send_window(twilio_app, fake_twilio, db, clock, learners):
    asha, _, _ = learners
    clock.set(datetime(2026, 3, 2, 19, 55, tzinfo=INDIA))
    fake_twilio.call_outcomes[asha.phone] = "no-answer"
    tick(twilio_app)
    Relay(twilio_app, fake_twilio)()
    fresh(db)
    retry = db.exec(select(Outbox).where(Outbox.learner_id == asha.id, Outbox.purpose == "retry")).one()
    assert retry.next_attempt_at.astimezone(INDIA) == datetime(2026, 3, 3, 9, 0, tzinfo=INDIA)


def test_a_learner_who_takes_sms_gets_the_question_by_sms_when_calls_keep_failing(twilio_app, fake_twilio, db,
                                                                                 clock, learners):
    _, ravi, _ = learners  # channel "both": SMS first, voice when he asks for it
    relay = Relay(twilio_app, fake_twilio)
    tick(twilio_app)
    texts = [m for m in fake_twilio.messages if m["to"] == ravi.phone]
    assert len(texts) == 1 and "Q1/3" in texts[0]["body"]
    clock.advance(minutes=2)
    missed_call(twilio_app, ravi.phone)  # he would rather hear it
    fake_twilio.call_outcomes[ravi.phone] = "no-answer"  # ... but then does not pick up
    for _ in range(3):
        clock.advance(minutes=20)
        tick(twilio_app)
        relay()
    assert len(calls_to(fake_twilio, ravi.phone)) == 3
    fresh(db)
    assert db.exec(select(VoiceCall).where(VoiceCall.learner_id == ravi.id)).one().status == "failed"
    tick(twilio_app)
    texts = [m for m in fake_twilio.messages if m["to"] == ravi.phone]
    assert len(texts) == 2 and texts[1]["body"].startswith("Q1/3")
    assert len(calls_to(fake_twilio, ravi.phone)) == 3


def test_hanging_up_mid_call_keeps_the_answers_and_the_duration_and_puts_the_rest_back(
        twilio_app, fake_twilio, db, clock, learners):
    asha, _, _ = learners
    fake_twilio.call_duration = 41
    tick(twilio_app)
    (call,) = calls_to(fake_twilio, asha.phone)
    url = urlsplit(call["_params"]["Url"])
    root = ET.fromstring(signed(twilio_app, f"{url.path}?{url.query}", {"CallSid": call["sid"]}).data)
    action = urlsplit(root.find("Gather").get("action"))
    signed(twilio_app, f"{action.path}?{action.query}", {"CallSid": call["sid"], "Digits": "2"})
    Relay(twilio_app, fake_twilio)()  # the learner hangs up at question 2
    fresh(db)
    row = db.exec(select(Outbox).where(Outbox.sid == call["sid"])).one()
    assert (row.status, row.duration_seconds) == ("completed", 41)
    statuses = [p.status for p in db.exec(select(Prompt).where(Prompt.learner_id == asha.id,
                                                               Prompt.kind == "question").order_by(Prompt.seq))]
    assert statuses == ["answered", "queued", "queued"]
    assert db.exec(select(VoiceCall).where(VoiceCall.learner_id == asha.id)).one().status == "completed"
    assert db.get(Learner, asha.id).next_contact_at == clock.now() + timedelta(hours=4)
    clock.advance(hours=4, minutes=1)
    tick(twilio_app)
    assert len(calls_to(fake_twilio, asha.phone)) == 2


@pytest.mark.slow
def test_status_callbacks_over_http_from_the_fake_api(live_app, fake_twilio, db, clock, learners):
    """End to end on a real socket: the fake posts signed callbacks to the app's public URL."""
    asha, _, _ = learners
    fake_twilio.call_outcomes[asha.phone] = "busy"
    tick(live_app)
    assert fake_twilio.wait_for_callbacks(10)
    (cb,) = [c for c in fake_twilio.delivered_callbacks if c.kind == "call"]
    assert cb.response_status == 204, cb.error
    fresh(db)
    rows = db.exec(select(Outbox).where(Outbox.learner_id == asha.id).order_by(Outbox.id)).all()
    assert [(r.purpose, r.status) for r in rows] == [("prompt", "busy"), ("retry", "queued")]


def test_an_undeliverable_prompt_sms_can_become_a_call_for_a_learner_who_takes_both(twilio_app, fake_twilio,
                                                                                   db, clock, learners):
    from app.voice.calls import call_instead_of_sms
    from app.voice.settings import current_options

    _, ravi, sunil = learners
    tick(twilio_app)
    fresh(db)
    rows = {r.learner_id: r for r in db.exec(select(Outbox).where(Outbox.kind == "sms")).all()}
    options = current_options(twilio_app)
    with twilio_app.app_context():
        assert call_instead_of_sms(db, rows[sunil.id], now=clock.now(), options=options) is None  # SMS only
        placed = call_instead_of_sms(db, rows[ravi.id], now=clock.now(), options=options)
    db.commit()
    assert (placed.kind, placed.purpose) == ("call", "retry")  # the same contact, not a new one
    tick(twilio_app)
    (call,) = calls_to(fake_twilio, ravi.phone)
    url = urlsplit(call["_params"]["Url"])
    root = ET.fromstring(signed(twilio_app, f"{url.path}?{url.query}", {"CallSid": call["sid"]}).data)
    assert root.find("Gather")[0].text == "Question 1 of 3."


def test_an_sms_prompt_that_keeps_failing_becomes_a_call_for_a_learner_who_takes_both(twilio_app, fake_twilio,
                                                                                     db, clock, learners):
    """The carrier keeps reporting "undelivered" for Ravi's texts: after the last retry the
    delivery code calls him with the question instead; Sunil (SMS only) just waits."""
    _, ravi, sunil = learners
    for phone in (ravi.phone, sunil.phone):
        fake_twilio.message_outcomes[phone] = ("undelivered", 30003)
    relay = Relay(twilio_app, fake_twilio)
    for _ in range(12):
        tick(twilio_app)
        relay()
        if calls_to(fake_twilio, ravi.phone):
            break
        clock.advance(hours=1, minutes=1)
    texts = [m for m in fake_twilio.messages if m["to"] == ravi.phone]
    assert 1 < len(texts) <= 6 and all("Q1/3" in t["body"] for t in texts)
    (call,) = calls_to(fake_twilio, ravi.phone)
    url = urlsplit(call["_params"]["Url"])
    root = ET.fromstring(signed(twilio_app, f"{url.path}?{url.query}", {"CallSid": call["sid"]}).data)
    assert root.find("Gather")[0].text == "Question 1 of 3."
    assert calls_to(fake_twilio, sunil.phone) == []
    fresh(db)
    assert db.exec(select(Prompt).where(Prompt.learner_id == sunil.id, Prompt.seq == 1)).one().status == "queued"

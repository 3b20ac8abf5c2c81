"""Every TwiML document Saathi answers with, checked against what Twilio accepts
(tests/contract/twiml_schema.py): SMS replies of every kind, and whole quiz calls."""
from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET

import pytest

from app.messaging.transport import get_transport
from app.scheduling.dispatcher import dispatch_once
from tests.conftest import PUBLIC_URL
from tests.contract import twiml_schema
from tests.factories import cohort, make_learners, make_module

VOICE_LEARNERS = """phone,name,site,language,cohort,channel
+919876543210,Asha Devi,Andheri Mall,en,andheri-march,voice
+919876543211,Ravi Kumar,Andheri Mall,hi,andheri-march,voice
+919876543212,Sunil Rao,Andheri Mall,en,andheri-march,sms
"""


def test_the_schema_catches_what_twilio_refuses():
    assert twiml_schema.check(b"<Response><Message>hi</Message></Response>") == []
    bad = {
        b"<Response><Say>hi<Play>x</Play></Say></Response>": "may not be inside <Say>",
        b"<Response><Gather numDigits='0' method='PUT'/></Response>": "method=",
        b"<Response><Gather><Gather/></Gather></Response>": "<Gather> may not be inside <Gather>",
        b"<Response><Message><Say>hi</Say></Message></Response>": "may not be inside <Message>",
        b"<Response><Reject reason='nope'/></Response>": "reason=",
        b"<Response><Redirect/></Response>": "needs text",
        b"<Response><Sms>old verb</Sms></Response>": "<Sms> may not be inside <Response>",
        b"<Message>no root</Message>": "root is <Message>",
        b"<Response><Say voice='alice' colour='red'>x</Say></Response>": "no attribute 'colour'",
        ("<Response><Message>" + "x" * 1601 + "</Message></Response>").encode(): "1600",
    }
    for document, expected in bad.items():
        problems = twiml_schema.check(document)
        assert any(expected in p for p in problems), (document, problems)


@pytest.mark.parametrize("sender,bodies", [
    ("+919876543210", ["2", "3", "🙏", "payee name", "5", "Good session", "SCORE", "HELP", "QUIZ", "LANG hi",
                       "भाषा en", "STOP", "2", "START"]),
    ("+15550000000", ["hello"]),  # not a learner
])
def test_every_kind_of_sms_reply_is_valid_twiml(app, db, clock, twilio_post, sender, bodies):
    module = make_module(db)
    make_learners(db, clock.now())
    from app.learning.sessions import complete_session

    complete_session(db=db, cohort=cohort(db), module=module, held_at=clock.now(), now=clock.now())
    db.commit()
    dispatch_once(app=app)
    for body in bodies:
        response = twilio_post("/twilio/sms", {"MessageSid": "SM" + uuid.uuid4().hex, "From": sender, "Body": body})
        twiml_schema.assert_valid(response, kind="messaging")


def _post(twilio_post, url: str, **params):
    assert url.startswith(PUBLIC_URL), url
    response = twilio_post(url[len(PUBLIC_URL):], {"CallSid": "CA" + uuid.uuid4().hex, **params})
    twiml_schema.assert_valid(response, kind="voice")
    return ET.fromstring(response.data)


@pytest.mark.parametrize("keys", [["2", "2", "1", "5"], [None, None, None, None, None, None], ["9", "#", "1", "1"]])
def test_whole_quiz_calls_are_valid_twiml_at_every_step(app, db, clock, twilio_post, keys):
    from app.learning.sessions import complete_session

    module = make_module(db)
    asha, ravi, _ = make_learners(db, clock.now(), VOICE_LEARNERS)
    complete_session(db=db, cohort=cohort(db), module=module, held_at=clock.now(), now=clock.now())
    db.commit()
    with app.app_context():
        dispatch_once(app=app)
    calls = [m for m in get_transport(app).sent if m["kind"] == "call"]
    assert {c["to"] for c in calls} == {asha.phone, ravi.phone}
    documents = 0
    for call in calls:
        root = _post(twilio_post, call["url"], CallStatus="in-progress")
        documents += 1
        for key in keys:
            gathers = root.findall("Gather")
            if not gathers:
                break
            if key is None:  # nothing pressed: Twilio follows the <Redirect>
                root = _post(twilio_post, root.find("Redirect").text)
            else:
                root = _post(twilio_post, gathers[0].get("action"), Digits=key)
            documents += 1
    print(f"\n{documents} voice TwiML documents checked")


def test_missed_calls_and_lost_calls_answer_valid_twiml(app, db, clock, twilio_post):
    make_learners(db, clock.now(), VOICE_LEARNERS)
    db.commit()
    known = _post(twilio_post, PUBLIC_URL + "/twilio/voice/incoming", From="+919876543210", To="+15005550006")
    assert known.find("Reject") is not None
    _post(twilio_post, PUBLIC_URL + "/twilio/voice/incoming", From="+15550000000", To="+15005550006")
    _post(twilio_post, PUBLIC_URL + "/twilio/voice?call=no-such-call")
    _post(twilio_post, PUBLIC_URL + "/twilio/voice/answer?call=x&prompt=1&try=1", Digits="1")

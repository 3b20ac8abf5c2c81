"""The SMS webhooks as Twilio calls them: signed form posts answered with TwiML."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from sqlmodel import select

from app.models import Answer, DeliveryEvent, Inbound, Outbox
from app.scheduling.dispatcher import dispatch_once
from tests.factories import held_session


def messages_in(response) -> list[str]:
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    root = ET.fromstring(response.data)
    assert root.tag == "Response"
    assert all(child.tag == "Message" for child in root)
    return [child.text or "" for child in root]


def inbound(sid: str, phone: str, body: str) -> dict:
    return {"MessageSid": sid, "SmsSid": sid, "AccountSid": "AC" + "0" * 32, "From": phone,
            "To": "+15005550006", "Body": body, "NumSegments": "1"}


def started(app, db, clock):
    learners = held_session(db, clock.now())
    dispatch_once(app=app)
    return learners


def test_answer_is_graded_and_next_question_follows(app, db, clock, twilio_post):
    asha, _ = started(app, db, clock)
    replies = messages_in(twilio_post("/twilio/sms", inbound("SM1", asha.phone, "2")))
    assert replies[0].startswith("Correct!")
    assert "Q2/3" in "".join(replies)


def test_forged_or_missing_signature_is_refused_and_stores_nothing(app, db, clock, twilio_post, client):
    asha, _ = started(app, db, clock)
    params = inbound("SMforged", asha.phone, "2")
    assert twilio_post("/twilio/sms", params, signature="bm90IGEgc2lnbmF0dXJl").status_code == 403
    assert client.post("/twilio/sms", data=params).status_code == 403
    tampered = dict(params, Body="1")  # signed for "2", delivered with "1"
    from tests.conftest import PUBLIC_URL, sign
    assert client.post("/twilio/sms", data=tampered,
                       headers={"X-Twilio-Signature": sign(PUBLIC_URL + "/twilio/sms", params)}).status_code == 403
    assert db.exec(select(Inbound)).all() == []
    assert db.exec(select(Answer)).all() == []


def test_twilio_retry_of_the_same_message_stores_one_answer(app, db, clock, twilio_post):
    asha, _ = started(app, db, clock)
    first = messages_in(twilio_post("/twilio/sms", inbound("SMsame", asha.phone, "2")))
    second = messages_in(twilio_post("/twilio/sms", inbound("SMsame", asha.phone, "2")))
    assert first == second
    assert len(db.exec(select(Answer)).all()) == 1
    assert len(db.exec(select(Inbound)).all()) == 1


def test_malformed_webhooks_get_a_clear_error_not_a_crash(app, db, clock, twilio_post):
    asha, _ = started(app, db, clock)
    assert twilio_post("/twilio/sms", {"From": asha.phone, "Body": "2"}).status_code == 400
    assert twilio_post("/twilio/sms", {"MessageSid": "SMx", "Body": "2"}).status_code == 400
    odd = ["२", " B. ", "🙏🏽", "x" * 1600, "", "\x00\x01", "'; DROP TABLE learner; --"]
    for n, body in enumerate(odd):
        response = twilio_post("/twilio/sms", inbound(f"SModd{n}", asha.phone, body))
        assert response.status_code == 200, body
        messages_in(response)


def test_status_callbacks_are_recorded_once_and_never_move_backwards(app, db, clock, twilio_post):
    asha, _ = started(app, db, clock)
    row = db.exec(select(Outbox).where(Outbox.to_number == asha.phone, Outbox.purpose == "prompt")).one()
    row.sid, row.status = "SMstatus1", "accepted"
    db.add(row)
    db.commit()
    for status in ("sent", "delivered", "sent", "delivered"):
        r = twilio_post("/twilio/status", {"MessageSid": "SMstatus1", "MessageStatus": status})
        assert r.status_code == 204
    db.refresh(row)
    assert row.status == "delivered"
    assert len(db.exec(select(DeliveryEvent).where(DeliveryEvent.sid == "SMstatus1")).all()) == 2
    assert twilio_post("/twilio/status", {"MessageSid": "SMstatus1"}).status_code == 400


def test_status_callback_before_the_create_call_returned_is_applied_later(app, db, clock, twilio_post):
    r = twilio_post("/twilio/status", {"MessageSid": "SMearly", "MessageStatus": "delivered"})
    assert r.status_code == 204
    assert db.exec(select(DeliveryEvent).where(DeliveryEvent.sid == "SMearly")).one().applied is False


def test_undelivered_prompt_is_sent_again_and_opted_out_code_marks_the_learner(app, db, clock, twilio_post):
    asha, ravi = started(app, db, clock)
    rows = {r.to_number: r for r in db.exec(select(Outbox).where(Outbox.purpose == "prompt")).all()}
    rows[asha.phone].sid, rows[ravi.phone].sid = "SMund", "SMopt"
    for row in rows.values():
        row.status = "accepted"  # as Twilio answers a create call
    db.add_all(rows.values())
    db.commit()
    twilio_post("/twilio/status", {"MessageSid": "SMund", "MessageStatus": "undelivered", "ErrorCode": "30003"})
    twilio_post("/twilio/status", {"MessageSid": "SMopt", "MessageStatus": "failed", "ErrorCode": "21610"})
    retry = db.exec(select(Outbox).where(Outbox.to_number == asha.phone, Outbox.status == "queued")).all()
    assert len(retry) == 1 and retry[0].body == rows[asha.phone].body
    db.refresh(ravi)
    assert ravi.status == "opted_out"

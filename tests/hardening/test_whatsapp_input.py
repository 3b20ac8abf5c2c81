"""Whatever a WhatsApp user, Twilio or a forger posts to /twilio/whatsapp: never a 500,
never a second grading of one MessageSid, never a button graded against a question it was
not offered for; the store stays sound (tests/hardening/invariants.py)."""
from __future__ import annotations

import uuid

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import select

from app.channels.whatsapp_content import read_payload
from app.models import Answer, Prompt
from app.scheduling.dispatcher import dispatch_once
from tests.hardening.invariants import assert_store_sound
from tests.hardening.test_hostile_input import ASHA, BODY, RAVI, SIDS, TEXT, WEBHOOK, _post_checked

SENDERS = st.one_of(st.sampled_from(["whatsapp:" + ASHA, "whatsapp:" + RAVI, ASHA, "whatsapp:", "whatsapp:+1555"]),
                    TEXT)
PAYLOADS = st.one_of(st.none(), TEXT, st.sampled_from(["p1.2", "p0.1", "p99999999999.1", "p1.99", "p.1", "p1.",
                                                       "p1.2.3", "P1.2", "p-1.2", "p１.２", "p" + "9" * 40 + ".1"]),
                     st.builds(lambda n, k: f"p{n}.{k}", st.integers(-3, 50), st.integers(-3, 12)))


@given(sid=SIDS, sender=st.one_of(st.none(), SENDERS), body=st.one_of(st.none(), BODY),
       button_text=st.one_of(st.none(), TEXT), payload=PAYLOADS, extra=st.dictionaries(TEXT, TEXT, max_size=2))
@settings(WEBHOOK, max_examples=40)
def test_the_whatsapp_webhook_survives_anything(app, db, learning, twilio_post, sid, sender, body, button_text,
                                                payload, extra):
    assume("" not in extra)
    dispatch_once(app=app)
    params = {k: v for k, v in {**extra, "MessageSid": sid, "From": sender, "Body": body, "ButtonText": button_text,
                                "ButtonPayload": payload}.items() if v is not None}
    before = db.exec(select(func.count(Answer.id))).one()
    first = _post_checked(twilio_post, "/twilio/whatsapp", params, kind="messaging")
    answered = db.exec(select(func.count(Answer.id))).one()
    again = _post_checked(twilio_post, "/twilio/whatsapp", params, kind="messaging")  # Twilio's retry
    assert again.status_code == first.status_code
    assert db.exec(select(func.count(Answer.id))).one() == answered  # the retry graded nothing
    tapped = read_payload(payload)
    if tapped is not None and answered > before:  # a graded tap answered the prompt it named
        assert db.exec(select(Answer).order_by(Answer.id.desc())).first().prompt_id == tapped[0]
    assert_store_sound(db, params)


def test_a_tap_naming_another_learners_prompt_is_not_graded(app, db, learning, twilio_post):
    dispatch_once(app=app)
    ravis = db.exec(select(Prompt).where(Prompt.status == "pending").order_by(Prompt.learner_id.desc())).first()
    response = twilio_post("/twilio/whatsapp", {"MessageSid": "SM" + uuid.uuid4().hex, "From": "whatsapp:" + ASHA,
                                                "Body": "1", "ButtonText": "1", "ButtonPayload": f"p{ravis.id}.1"})
    assert response.status_code == 200
    assert db.exec(select(func.count(Answer.id))).one() == 0

"""The whole SMS loop over HTTP, through the real twilio client and a fake Twilio API."""
from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET

import requests
from sqlmodel import select
from twilio.request_validator import RequestValidator

from app.db import session_scope
from app.learning.sessions import complete_session
from app.models import Answer, Card, Feedback, Learner, Outbox
from app.scheduling.dispatcher import dispatch_once
from tests.conftest import AUTH_TOKEN
from tests.factories import callbacks_applied, cohort, make_module

CSV = """phone,name,site,language,cohort
+919820000001,Asha Devi,Andheri Mall,en,andheri-march
+919820000002,Ravi Kumar,Andheri Mall,hi,andheri-march
"""


class Phone:
    """A learner's handset: reads what the fake Twilio delivered, texts Saathi's webhook."""

    def __init__(self, app, fake, number):
        self.app, self.fake, self.number = app, fake, number
        self.seen = 0

    def inbox(self) -> list[str]:
        bodies = [m["body"] for m in self.fake.messages if m["to"] == self.number]
        new, self.seen = bodies[self.seen:], len(bodies)
        return new

    def text(self, body: str) -> list[str]:
        url = self.app.config["PUBLIC_URL"] + "/twilio/sms"
        params = {"MessageSid": "SM" + uuid.uuid4().hex, "From": self.number, "To": "+15005550006",
                  "Body": body, "AccountSid": self.fake.account_sid}
        signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
        response = requests.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=5)
        assert response.status_code == 200, response.text
        return [m.text or "" for m in ET.fromstring(response.content).iter("Message")]


def test_learner_journey_over_http(live_app, fake_twilio, clock, tmp_path):
    app = live_app
    runner = app.test_cli_runner()
    assert runner.invoke(args=["sites", "add", "Andheri Mall", "--country", "IN"]).exit_code == 0
    (tmp_path / "march.csv").write_text(CSV)
    assert runner.invoke(args=["learners", "import", str(tmp_path / "march.csv")]).exit_code == 0
    with app.app_context(), session_scope(app) as db:
        module = make_module(db)
        complete_session(db=db, cohort=cohort(db), module=module, held_at=clock.now(), now=clock.now())

    asha = Phone(app, fake_twilio, "+919820000001")
    stats = dispatch_once(app=app)
    assert stats.delivery.sent == 2
    first = asha.inbox()
    assert len(first) == 1 and "Q1/3" in first[0]
    callbacks_applied(app, fake_twilio)

    right = asha.text("2")
    assert right[0].startswith("Correct!") and "Q2/3" in right[-1]
    wrong = asha.text("3")  # wrong answer to Q2
    assert wrong[0].startswith("The answer is 2:")
    odd = asha.text("🙏")
    assert odd[0].startswith("Please reply with a number from 1 to 3")
    asha.text("payee name")  # Q3 by option text
    assert "Thank you for your rating" in asha.text("5")[0]
    assert "trainer will read this" in asha.text("Good session")[0]

    with app.app_context(), session_scope(app) as db:
        learner = db.exec(select(Learner).where(Learner.phone == asha.number)).one()
        assert [a.correct for a in db.exec(select(Answer).where(Answer.learner_id == learner.id)
                                           .order_by(Answer.id))] == [True, False, True]
        assert [(f.rating, f.comment) for f in db.exec(select(Feedback))] == [(5, "Good session")]
        prompt_rows = db.exec(select(Outbox).where(Outbox.to_number == asha.number, Outbox.purpose == "prompt")).all()
        assert [r.status for r in prompt_rows] == ["delivered"]  # via the fake's signed status callbacks
        assert len(db.exec(select(Card).where(Card.learner_id == learner.id)).all()) == 3

    clock.advance(days=1)  # the wrong one comes back the next day
    dispatch_once(app=app)
    review = asha.inbox()
    assert len(review) == 1 and "OTP" in review[0] and not review[0].startswith("Q")
    assert asha.text("2")[0].startswith("Correct!")

    assert "no more messages" in asha.text("STOP")[0]
    clock.advance(days=30)
    dispatch_once(app=app)
    assert asha.inbox() == []
    assert asha.text("2") == []
    assert "Welcome back" in asha.text("start")[0]
    dispatch_once(app=app)
    assert len(asha.inbox()) == 1  # reviews due while away come back, one at a time

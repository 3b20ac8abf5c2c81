"""A dispatch pass on any thread, and one learner's failure never stopping the others.

``saathi worker`` runs its passes on APScheduler's threads, where no Flask app context
exists; the subprocess test (tests/hardening/test_long_running.py) proves the command,
these pin down the mechanisms quickly and deterministically.
"""
from __future__ import annotations

import logging
import threading
from datetime import timedelta

from prometheus_client import REGISTRY
from sqlmodel import select

from app import create_app
from app.messaging.transport import ConsoleTransport
from app.models import Learner, Outbox
from app.scheduling.dispatcher import dispatch_once
from app.scheduling.one_learner import FAILED_LEARNER_RETRY
from tests.conftest import AUTH_TOKEN
from tests.factories import held_session

LEARNERS = """phone,name,site,language,cohort,channel
+919876543210,Asha Devi,Andheri Mall,en,andheri-march,voice
+919876543211,Ravi Kumar,Andheri Mall,en,andheri-march,both
+919876543212,Sunil Rao,Andheri Mall,en,andheri-march,sms
"""


def held(db, clock, csv=LEARNERS):
    return held_session(db, clock.now(), csv)


def on_a_plain_thread(fn):
    """Run ``fn`` the way the worker's scheduler does: a thread with no app context."""
    result, errors = [], []

    def run():
        from flask import has_app_context

        assert not has_app_context()
        try:
            result.append(fn())
        except Exception as exc:  # noqa: BLE001 - re-raised in the test's thread
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    assert not thread.is_alive(), "the pass did not finish"
    if errors:
        raise errors[0]
    return result[0]


def test_a_pass_without_an_app_context_calls_and_texts(app_config, fake_twilio, db, clock):
    fake_twilio.auto_callbacks = False
    app = create_app({**app_config, "TRANSPORT": "twilio", "TWILIO_ACCOUNT_SID": fake_twilio.account_sid,
                      "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_API_BASE": fake_twilio.base_url, "TWILIO_TIMEOUT": 2})
    try:
        asha, ravi, sunil = held(db, clock)
        stats = on_a_plain_thread(lambda: dispatch_once(app=app))
    finally:
        app.extensions["saathi.engine"].dispose()
    assert stats.plan.planned == 3 and stats.plan.plan_errors == 0 and stats.delivery.send_errors == 0
    assert [c["to"] for c in fake_twilio.calls] == [asha.phone]
    assert sorted(m["to"] for m in fake_twilio.messages) == sorted([ravi.phone, sunil.phone])
    call = db.exec(select(Outbox).where(Outbox.kind == "call")).one()
    assert call.body.startswith(app_config["PUBLIC_URL"] + "/twilio/voice?call=")  # TwiML at SAATHI_PUBLIC_URL


def test_one_learner_whose_planning_fails_does_not_stop_the_others(app, db, clock, caplog):
    asha, ravi, sunil = held(db, clock)
    broken = db.get(Learner, ravi.id)
    broken.timezone = "Mars/Olympus_Mons"  # a record no code path expects: planning it raises
    db.add(broken)
    db.commit()
    failures = REGISTRY.get_sample_value("saathi_dispatch_learner_failures_total", {"stage": "plan"}) or 0
    with caplog.at_level(logging.ERROR, logger="app.scheduling.planner"):
        stats = on_a_plain_thread(lambda: dispatch_once(app=app))
    assert stats.plan.planned == 2 and stats.plan.plan_errors == 1
    sent = {row.learner_id for row in db.exec(select(Outbox)).all()}
    assert sent == {asha.id, sunil.id}
    record = next(r for r in caplog.records if r.getMessage().startswith("planning failed"))
    assert record.getMessage() == f"planning failed for learner {ravi.id}" and record.exc_info
    assert ravi.phone not in caplog.text and ravi.phone[-4:] not in caplog.text
    assert REGISTRY.get_sample_value("saathi_dispatch_learner_failures_total", {"stage": "plan"}) == failures + 1
    db.expire_all()
    assert db.get(Learner, ravi.id).next_contact_at == clock.now() + FAILED_LEARNER_RETRY
    # The next tick leaves the broken record alone until then; once mended it is planned.
    assert on_a_plain_thread(lambda: dispatch_once(app=app)).plan.plan_errors == 0
    mended = db.get(Learner, ravi.id)
    mended.timezone = None
    db.add(mended)
    db.commit()
    clock.advance(minutes=16)
    assert on_a_plain_thread(lambda: dispatch_once(app=app)).plan.planned == 1


class FlakyTransport(ConsoleTransport):
    """The console transport, but sending to one number raises something unforeseen."""

    def __init__(self, broken: str):
        super().__init__()
        self.broken, self.reached = broken, []

    def send_sms(self, *, to, body, status_callback=None):
        if to == self.broken:
            raise RuntimeError("unforeseen")
        self.reached.append(to)
        return super().send_sms(to=to, body=body, status_callback=status_callback)


def test_one_row_whose_sending_raises_does_not_stop_the_others(app_config, db, clock):
    learners = held(db, clock, LEARNERS.replace(",voice", ",sms").replace(",both", ",sms"))
    transport = FlakyTransport(broken=learners[1].phone)
    app = create_app({**app_config, "TRANSPORT_OBJECT": transport, "DELIVERY_THREADS": 1})
    try:
        stats = on_a_plain_thread(lambda: dispatch_once(app=app))
    finally:
        app.extensions["saathi.engine"].dispose()
    assert stats.delivery.sent == 2 and stats.delivery.send_errors == 1
    assert sorted(transport.reached) == sorted([learners[0].phone, learners[2].phone])
    row = db.exec(select(Outbox).where(Outbox.to_number == learners[1].phone)).one()
    # Queued again after a backoff, marked uncertain: it is looked up at Twilio before a resend.
    assert row.status == "queued" and row.uncertain and row.attempts == 1
    assert row.next_attempt_at > clock.now() and row.next_attempt_at <= clock.now() + timedelta(seconds=30)

"""Status callbacks as carriers really deliver them: early, twice, late, out of order.

Extends tests/test_delivery_faults.py (API errors, timeouts, dead leases) with the other
direction: Twilio calling us. Every case ends the same way: one message per learner at
Twilio, the outbox status it should have, every callback stored once.
"""
from __future__ import annotations

import uuid
from collections import Counter

import requests
from sqlmodel import select

from app.db import session_scope
from app.models import DeliveryEvent
from app.scheduling.dispatcher import dispatch_once
from tests.factories import callbacks_applied
from tests.test_delivery_faults import outbox, start


def events(app) -> list[DeliveryEvent]:
    with app.app_context(), session_scope(app) as db:
        return db.exec(select(DeliveryEvent).order_by(DeliveryEvent.id)).all()


def replay(fake, callbacks) -> list[int]:
    """POST already-delivered callbacks again, signed, as Twilio does when it retries."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
    from fake_twilio import _post_signed

    return [_post_signed(cb.url, cb.params, fake.auth_token) for cb in callbacks]


def test_callbacks_that_arrive_before_the_create_call_returns_are_kept_and_applied(live_app, fake_twilio, clock):
    phones = start(live_app, clock)
    # Twilio accepts, sends (and reports) both messages, but its answers take 1.5 s to come back.
    fake_twilio.delay_next(2, seconds=1.5, accept=True)
    stats = dispatch_once(app=live_app)
    assert stats.delivery.sent == 2 and fake_twilio.wait_for_callbacks()
    early = [e for e in events(live_app)]
    rows = outbox(live_app)
    print(f"\n{len(early)} callbacks arrived before their SIDs were known; rows now {[r.status for r in rows]}")
    assert len(early) == 4 and all(e.applied for e in early)  # sent + delivered, for each
    assert [r.status for r in rows] == ["delivered", "delivered"]
    assert Counter(m["to"] for m in fake_twilio.messages) == Counter(phones)


def test_the_same_callback_twice_changes_nothing_the_second_time(live_app, fake_twilio, clock):
    start(live_app, clock)
    fake_twilio.auto_callbacks = False
    dispatch_once(app=live_app)
    delivered = fake_twilio.deliver_callbacks()
    before = [(e.sid, e.status) for e in events(live_app)]
    assert {cb.response_status for cb in delivered} == {204}
    assert set(replay(fake_twilio, delivered) + replay(fake_twilio, delivered)) == {204}
    after = [(e.sid, e.status) for e in events(live_app)]
    print(f"\n{len(delivered)} callbacks delivered, replayed twice: {len(before)} events before, {len(after)} after")
    assert after == before and [r.status for r in outbox(live_app)] == ["delivered", "delivered"]


def test_late_and_out_of_order_callbacks_never_move_a_message_back(live_app, fake_twilio, clock):
    start(live_app, clock)
    fake_twilio.auto_callbacks = False
    dispatch_once(app=live_app)
    pending = fake_twilio.pending_callbacks
    sent = [cb for cb in pending if cb.status == "sent"]
    final = [cb for cb in pending if cb.status == "delivered"]
    # "delivered" first; "sent" comes after it (a slow carrier path): the row stays delivered.
    assert set(replay(fake_twilio, final)) == {204} and set(replay(fake_twilio, sent)) == {204}
    assert [r.status for r in outbox(live_app)] == ["delivered", "delivered"]
    # A day late, a contradictory "undelivered": not a second copy of an answered question.
    clock.advance(days=1)
    late = [type(cb)(cb.kind, cb.sid, "undelivered", cb.url, {**cb.params, "MessageStatus": "undelivered",
                                                                "SmsStatus": "undelivered", "ErrorCode": "30003"},
                     {}) for cb in final]
    assert set(replay(fake_twilio, late)) == {204}
    rows = outbox(live_app)
    print(f"\nout-of-order and late callbacks: outbox {[(r.status, r.purpose) for r in rows]}")
    assert [r.status for r in rows if r.sid] == ["delivered", "delivered"]
    assert len(fake_twilio.messages) == 2


def test_callbacks_for_sids_we_never_sent_are_stored_but_touch_nothing(live_app, fake_twilio, clock, twilio_post):
    start(live_app, clock)
    dispatch_once(app=live_app)
    callbacks_applied(live_app, fake_twilio)
    url = live_app.config["PUBLIC_URL"] + "/twilio/status"
    from tests.conftest import sign

    params = {"MessageSid": "SM" + uuid.uuid4().hex, "MessageStatus": "failed", "ErrorCode": "30006"}
    response = requests.post(url, data=params, headers={"X-Twilio-Signature": sign(url, params)}, timeout=5)
    assert response.status_code == 204
    assert [r.status for r in outbox(live_app)] == ["delivered", "delivered"]
    assert [e.applied for e in events(live_app) if e.sid == params["MessageSid"]] == [False]


def test_an_undelivered_report_after_the_learner_answered_sends_no_second_copy(live_app, fake_twilio, clock):
    """Carriers do report "undelivered" for messages that arrived; the answer proves otherwise."""
    asha, _ = start(live_app, clock)
    fake_twilio.auto_callbacks = False
    dispatch_once(app=live_app)
    pending = fake_twilio.pending_callbacks
    assert set(replay(fake_twilio, [cb for cb in pending if cb.status == "sent"])) == {204}
    from tests.test_sms_loop_e2e import Phone

    assert Phone(live_app, fake_twilio, asha).text("2")[0].startswith("Correct!")
    sid = next(m["sid"] for m in fake_twilio.messages if m["to"] == asha)
    cb = next(cb for cb in pending if cb.sid == sid)
    late = type(cb)(cb.kind, sid, "undelivered", cb.url, {**cb.params, "MessageStatus": "undelivered",
                                                          "SmsStatus": "undelivered", "ErrorCode": "30003"}, {})
    assert replay(fake_twilio, [late]) == [204]
    clock.advance(hours=1)
    dispatch_once(app=live_app)
    copies = Counter(m["to"] for m in fake_twilio.messages)[asha]
    print(f"\nundelivered after an answer: {copies} message(s) to the learner via the API")
    assert copies == 1

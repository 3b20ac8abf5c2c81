"""Delivery at volume: many calls in flight, shared fairly; senders paced across workers."""
from __future__ import annotations

import itertools
import multiprocessing
from collections import Counter

import pytest
from sqlmodel import select

from app.messaging.senders import SenderChooser, parse_senders
from app.models import Outbox
from app.scheduling.dispatcher import dispatch_once
from app.scheduling.throttle import Window
from tests.delivery_hosts import NOW, reserve_slots, run_host

SPAWN = multiprocessing.get_context("spawn")


def queue_rows(db, n: int, *, now=NOW) -> list[str]:
    phones = [f"+9198300{i:05d}" for i in range(n)]
    for phone in phones:
        db.add(Outbox(to_number=phone, body="Hello", purpose="notice", next_attempt_at=now, created_at=now,
                      updated_at=now))
    db.commit()
    return phones


def test_a_window_halves_once_per_round_of_429s_and_grows_back_by_one_per_round():
    window = Window(100)
    tickets = [window.started() for _ in range(100)]
    for ticket in tickets[:40]:  # forty calls of one round come back 429: one cut, not forty
        window.rate_limited(ticket)
    assert window.limit == 50 and window.cuts == 1
    window.rate_limited(window.started())  # a call sent after the cut: a new round
    assert window.limit == 25
    for _ in range(26):  # a window's worth of successes: one more
        window.succeeded()
    assert window.limit == 26
    assert Window(0).limit == 1


def test_senders_are_parsed_and_new_messages_spread_by_rate_and_prefix():
    senders = parse_senders("MG" + "a" * 32 + ":30, +15005550006:10, SAATHI@+44", default_rate=1)
    assert [(s.name, s.rate, s.prefixes) for s in senders] == [
        ("MG" + "a" * 32, 30.0, ()), ("+15005550006", 10.0, ()), ("SAATHI", 1.0, ("+44",))]
    assert senders[0].is_service and not senders[1].is_service
    chooser = SenderChooser(senders[:2])
    picks = Counter(chooser.choose("+919800000001") for _ in range(400))
    assert picks == {"MG" + "a" * 32: 300, "+15005550006": 100}
    only_uk = SenderChooser([senders[2], *senders[:1]])
    assert only_uk.choose("+447700900123") in ("SAATHI", "MG" + "a" * 32)
    assert {only_uk.choose("+919800000001") for _ in range(10)} == {"MG" + "a" * 32}
    assert chooser.rates(5.0)["default"] == 5.0
    with pytest.raises(ValueError):
        parse_senders("+15005550006:fast", 1)


def test_a_senders_pace_holds_across_two_processes(database_url):
    """Two processes reserve slots of one 20 segments/s sender at the same (frozen) instant:
    the slots they get never overlap, so together they keep to 20/s."""
    start, out = SPAWN.Event(), SPAWN.Queue()
    procs = [SPAWN.Process(target=reserve_slots, args=(database_url, {"S": 20.0}, 30, start, out))
             for _ in range(2)]
    for p in procs:
        p.start()
    start.set()
    slots = sorted(out.get(timeout=60) + out.get(timeout=60))
    for p in procs:
        p.join(30)
    assert len(slots) == 60
    gaps = [b - a for a, b in itertools.pairwise(slots)]
    assert min(gaps) >= 1 / 20 - 1e-6  # never two segments in one slot
    assert slots[-1] - slots[0] >= 59 / 20 - 1e-6  # 60 segments take 3 s of the sender's time


def test_aimd_backs_off_on_429s_and_still_sends_everything_exactly_once(live_app, fake_twilio, clock, db):
    """The account serves 3 calls at once; the worker starts with 12 in flight. It halves
    its window on the 429s, and every message still goes exactly once, none given up."""
    fake_twilio.max_in_flight, fake_twilio.latency, fake_twilio.auto_callbacks = 3, 0.05, False
    live_app.config["DELIVERY_THREADS"] = 12
    phones = queue_rows(db, 40, now=clock.now())
    passes, limited, failed = 0, 0, 0
    while len(fake_twilio.messages) < 40 and passes < 12:
        stats = dispatch_once(app=live_app).delivery
        limited, failed, passes = limited + stats.rate_limited, failed + stats.failed, passes + 1
        clock.advance(seconds=11)  # past RATE_LIMIT_RETRY_SECONDS
    window = live_app.extensions["saathi.window"]
    assert Counter(m["to"] for m in fake_twilio.messages) == Counter(phones)
    assert limited > 0 and fake_twilio.refused == limited and failed == 0
    assert window.cuts >= 1 and window.limit < 12
    rows = db.exec(select(Outbox)).all()
    assert {r.status for r in rows} == {"accepted"} and {r.attempts for r in rows} == {1}


def test_two_worker_hosts_share_the_outbox_each_message_goes_once_from_its_sender(app_config, fake_twilio, db):
    """Two worker processes ("hosts") on one database, each with its own sender: both
    send, and every message goes exactly once, from the sender recorded on its row."""
    if app_config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("hosts share a PostgreSQL server; SQLite is one machine's file")
    fake_twilio.latency, fake_twilio.auto_callbacks = 0.02, False
    phones = queue_rows(db, 120)
    config = {**app_config, "CLOCK": None, "TRANSPORT": "twilio", "TWILIO_ACCOUNT_SID": fake_twilio.account_sid,
              "TWILIO_AUTH_TOKEN": fake_twilio.auth_token, "TWILIO_API_BASE": fake_twilio.base_url,
              "DELIVERY_THREADS": 4, "SEGMENTS_PER_SECOND": 0}
    hosts = [{**config, "SENDERS": "+15005550006:0"}, {**config, "SENDERS": "MG" + "b" * 32 + ":0"}]
    start, out = SPAWN.Event(), SPAWN.Queue()
    procs = [SPAWN.Process(target=run_host, args=(host, start, out)) for host in hosts]
    for p in procs:
        p.start()
    start.set()
    sent = [out.get(timeout=90), out.get(timeout=90)]
    for p in procs:
        p.join(30)
    assert sum(sent) == 120 and min(sent) > 0, sent
    messages = fake_twilio.messages
    assert Counter(m["to"] for m in messages) == Counter(phones)
    by_sid = {m["sid"]: m for m in messages}
    rows = db.exec(select(Outbox)).all()
    for row in rows:
        params = by_sid[row.sid]["_params"]
        assert row.sender in (params.get("From"), params.get("MessagingServiceSid"))
    assert {r.sender for r in rows} == {"+15005550006", "MG" + "b" * 32}

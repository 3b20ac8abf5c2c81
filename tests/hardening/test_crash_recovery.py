"""Workers killed with SIGKILL mid-send, and restarted: every due prompt goes exactly once.

Real processes: ``saathi dispatch --once`` / ``saathi worker`` against a file database,
and the fake Twilio API (scripts/fake_twilio.py) in its own process, told to hold its
answers (``delay_next``) so the kill lands while API calls are in flight. Leases are two
minutes; instead of sleeping, the test moves ``claimed_until`` into the past, which is
what the clock would have done. Run with ``-s`` to see the figures (docs/reliability.md).
"""
from __future__ import annotations

import json
import random
import signal
import time

import pytest

from tests.hardening.procs import (
    FakeProcess,
    app_env,
    exactly_once,
    expire_leases,
    outbox,
    populate,
    saathi,
    sqlite_database,
    stop,
    wait_for,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def fake():
    fake = FakeProcess()
    yield fake
    fake.close()



def test_sigkill_during_api_calls_then_restart_sends_each_prompt_once(tmp_path, fake):
    url = sqlite_database(tmp_path)
    phones = populate(url, 40)
    env = app_env(url, fake, DELIVERY_THREADS=4)
    fake.fault("delay", count=4, seconds=30, accept=True)  # Twilio takes them, its answers never come
    proc = saathi("dispatch", "--once", env=env, log=tmp_path / "pass1.log")
    assert wait_for(lambda: len(fake.messages()) >= 4), "the pass never reached the API"
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)  # mid-call: four requests in flight, the rest of the batch claimed
    proc.wait(10)
    rows = outbox(url)
    in_flight = [r for r in rows if r.status == "sending"]
    accepted_before = len(fake.messages())
    assert in_flight and all(r.sid is None for r in in_flight)

    # Restarted at once: the dead worker's leases still hold, so its rows are not touched.
    fake.fault("reset")
    restart = saathi("dispatch", "--once", env=env, log=tmp_path / "pass2.log")
    stats = json.loads(restart.communicate(timeout=120)[0])
    assert stats["requeued"] == 0 and all(count == 1 for count in fake.per_phone().values())

    # Two minutes later (leases expired): looked up at Twilio, found, not sent again.
    expired = expire_leases(url)
    final = saathi("dispatch", "--once", env=env, log=tmp_path / "pass3.log")
    final_stats = json.loads(final.communicate(timeout=120)[0])
    figures = exactly_once(phones, fake, url)
    print(f"\nSIGKILL mid-call: {len(in_flight)} rows claimed at the kill, {accepted_before} messages "
          f"Twilio had; restart sent {stats['sent']}; after lease expiry {expired} rows requeued, "
          f"{final_stats['reconciled']} reconciled, {final_stats['sent'] - final_stats['reconciled']} sent fresh\n"
          f"{json.dumps(figures)}")
    # Every claimed row was requeued; the ones Twilio had taken were found there, not resent.
    assert final_stats["requeued"] == len(in_flight) and final_stats["reconciled"] == accepted_before
    assert figures["sent_once"] == len(phones) and figures["sent_twice_or_more"] == 0
    assert {r.status for r in outbox(url)} == {"accepted"} and all(r.sid for r in outbox(url))


def test_workers_killed_at_random_moments_lose_and_repeat_nothing(tmp_path, fake):
    url = sqlite_database(tmp_path)
    phones = populate(url, 150)
    env = app_env(url, fake, DELIVERY_THREADS=4, DISPATCH_BATCH=40)
    rng = random.Random(6)
    kills = 0
    for round_ in range(6):
        if round_ % 2 == 0:  # half the rounds, some answers hang: the kill lands mid-call
            fake.fault("delay", count=2, seconds=20, accept=rng.random() < 0.5)
        worker = saathi("worker", "--interval", "0.3", env=env, log=tmp_path / f"worker{round_}.log")
        time.sleep(rng.uniform(1.5, 3.5))
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        kills += 1
        fake.fault("reset")
        expire_leases(url)
    during = exactly_once(phones, fake, url)
    passes = 0
    while passes < 20:  # then clean passes, after the last lease ran out, until nothing is left
        stats = json.loads(saathi("dispatch", "--once", env=env).communicate(timeout=120)[0])
        passes += 1
        if not (stats["planned"] or stats["sent"] or stats["requeued"]):
            break
    figures = exactly_once(phones, fake, url)
    print(f"\n{kills} workers SIGKILLed at random moments: {json.dumps(during)}\n"
          f"then {passes} clean passes: {json.dumps(figures)}")
    assert during["sent_twice_or_more"] == 0 and during["never_sent_nor_queued"] == 0
    assert figures["sent_twice_or_more"] == 0
    assert figures["sent_once"] + figures["still_queued"] == len(phones)
    assert figures["never_sent_nor_queued"] == 0 and figures["sent_once"] == len(phones)


def test_a_killed_worker_sigterm_stops_cleanly(tmp_path, fake):
    """The polite stop (SIGTERM, as systemd and Kubernetes send it) ends the worker in time."""
    url = sqlite_database(tmp_path)
    populate(url, 5)
    worker = saathi("worker", "--interval", "0.5", env=app_env(url, fake), log=tmp_path / "w.log")
    assert wait_for(lambda: len(fake.messages()) == 5, timeout=60)
    started = time.monotonic()
    stop(worker, signal.SIGTERM, timeout=15)
    assert worker.returncode is not None and time.monotonic() - started < 15
    lines = [json.loads(line) for line in (tmp_path / "w.log").read_text().splitlines() if line.startswith("{")]
    passes = [line for line in lines if line["msg"] == "dispatch pass"]
    assert passes and all(line.get("pass_id") for line in passes)
    assert not any("+9198" in json.dumps(line) for line in lines)  # phone numbers masked

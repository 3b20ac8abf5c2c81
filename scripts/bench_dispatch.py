"""Dispatch throughput on PostgreSQL: prompts handed to (fake) Twilio per second, per worker.

Fills a database with N learners, every one due: one FSRS card each, due an hour ago,
and one queued outbox prompt each (planned, not yet sent). The fake Twilio API
(scripts/fake_twilio.py) runs in its own process with its defaults: 0.2 s ± 0.05 per
request, at most ``--account-limit`` requests in flight (429/20429 beyond). W worker
processes then deliver for ``--seconds``; the rate is what the fake accepted in that
time, measured at the fake after a warm-up. ``--plan-only`` times ``plan_due`` instead
(learners planned per second per worker). ``--morning`` is the real morning: nothing is
queued, every learner is due, and the workers run whole passes (``run_pass``: plan, send,
plan again as the queue runs short), as ``saathi worker`` does. Each worker reports its peak RSS.

    createdb h_delivery_bench    # an empty database; filled once, reused (outbox reset each run)
    .venv/bin/python scripts/bench_dispatch.py --database-url postgresql://postgres@127.0.0.1:5432/h_delivery_bench \\
        --learners 1000000 --workers 1 --in-flight 100
    ... --workers 4 --in-flight 400 --account-limit 400
    ... --plan-only --plan-seconds 20
    ... --morning                   # plan and send together, as the worker does
    ... --code /tmp/before          # the workers run another checkout's app/ (before/after)
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NOW = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)  # 10:30 in India
NAIVE_NOW, DUE = NOW.replace(tzinfo=None), (NOW - timedelta(hours=1)).replace(tzinfo=None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def populate(url: str, learners: int) -> None:
    """Set-based fill (generate_series): a million learners in about a minute."""
    from sqlalchemy import insert, text

    from app import migrate
    from app.db import make_engine
    from app.learning import srs
    from app.models import Cohort, Item, Module, Pack, Site

    migrate.upgrade(url)
    engine = make_engine(url)
    state = srs.review(None, correct=True, now=NOW - timedelta(days=3))
    with engine.begin() as conn:
        conn.execute(insert(Site), [{"name": "Bench Site", "country": "IN", "timezone": "Asia/Kolkata",
                                     "send_start": "09:00", "send_end": "20:00", "created_at": NOW}])
        conn.execute(insert(Cohort), [{"name": "bench", "site_id": 1, "created_at": NOW}])
        conn.execute(insert(Pack), [{"slug": "bench", "title": {"en": "Bench"}, "languages": ["en"], "imported_at": NOW}])
        conn.execute(insert(Module), [{"pack_id": 1, "slug": "m", "key": "bench/m", "position": 0,
                                       "title": {"en": "M"}, "greeting": {}, "feedback": {}, "active": True}])
        conn.execute(insert(Item), [{"module_id": 1, "slug": f"q{i}", "position": i, "active": True,
                                     "question": {"en": f"Question {i}: which is right?"},
                                     "options": [{"en": "This one"}, {"en": "That one"}, {"en": "Neither"}],
                                     "answer": 1, "explanation": {"en": "Because."}, "audio": None}
                                    for i in range(5)])
        args = {"n": learners, "now": NAIVE_NOW, "due": DUE, "last": NAIVE_NOW - timedelta(days=3),
                "fsrs": json.dumps(state)}
        conn.execute(text("""INSERT INTO learner (phone, name, site_id, cohort_id, language, channel, status,
                                 created_at, updated_at, wake_at)
            SELECT '+9198' || lpad(n::text, 8, '0'), 'Learner ' || n, 1, 1, 'en', 'sms', 'active', :now, :now, :due
            FROM generate_series(0, :n - 1) AS n"""), args)
        conn.execute(text("""INSERT INTO card (learner_id, item_id, state, reps, lapses, due, last_review, fsrs)
            SELECT n + 1, 1 + n % 5, 2, 1, 0, :due, :last, CAST(:fsrs AS json) FROM generate_series(0, :n - 1) AS n"""),
                     args)
        conn.execute(text("""INSERT INTO outbox (learner_id, kind, purpose, to_number, body, encoding, segments,
                                 status, attempts, uncertain, next_attempt_at, created_at, updated_at)
            SELECT n + 1, 'sms', 'prompt', '+9198' || lpad(n::text, 8, '0'),
                   'Question ' || (1 + n % 5) || ': which is right? 1 This one 2 That one 3 Neither',
                   'GSM-7', 1, 'queued', 0, false, :due, :now, :now FROM generate_series(0, :n - 1) AS n"""), args)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def prepare(url: str, learners: int, *, queued: bool = True) -> float:
    """Fill the database if it is empty; else put every prompt back in the queue (with
    ``queued`` false: leave the queue empty, every learner due, for ``--morning``)."""
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(url)
    t0 = time.perf_counter()
    with engine.begin() as conn:
        filled = inspect(conn).has_table("learner") and conn.execute(text("SELECT count(*) FROM learner")).scalar()
    if filled and filled != learners:
        sys.exit(f"the database holds {filled:,} learners, not {learners:,}: use an empty one")
    if not filled:
        child = multiprocessing.get_context("spawn").Process(target=populate, args=(url, learners))
        child.start()
        child.join()
        if child.exitcode:
            sys.exit(f"filling the database failed ({child.exitcode})")
    else:
        with engine.begin() as conn:
            has_sender = "sender" in {c["name"] for c in inspect(conn).get_columns("outbox")}
            conn.execute(text("""UPDATE outbox SET status = 'queued', sid = NULL, attempts = 0, claimed_by = NULL,
                claimed_until = NULL, sent_at = NULL, uncertain = false, error_code = NULL, error_message = NULL,
                next_attempt_at = :due""" + (", sender = NULL" if has_sender else "") +
                              " WHERE prompt_id IS NULL AND (status <> 'queued' OR next_attempt_at <> :due)"),
                         {"due": DUE})
            conn.execute(text("DELETE FROM delivery_event"))
            if not queued:  # the filled prompts are history too: planning makes the morning's
                conn.execute(text("UPDATE outbox SET status = 'delivered' WHERE prompt_id IS NULL"))
            # What a --plan-only run planned becomes history, answered two days ago, and every
            # learner is due again. (Deleted instead, it left an empty, analysed prompt table:
            # the foreign-key check of each new outbox row then scanned it, 0.4 ms a row by a
            # run's end, a quarter of planning's speed; docs/performance.md.)
            old = NAIVE_NOW - timedelta(days=2)
            conn.execute(text("UPDATE outbox SET status = 'delivered', created_at = :old, sent_at = :old,"
                              " updated_at = :old WHERE prompt_id IS NOT NULL AND status <> 'delivered'"),
                         {"old": old})
            conn.execute(text("UPDATE prompt SET status = 'answered', closed_at = :old"
                              " WHERE status IN ('pending', 'queued')"), {"old": old})
            conn.execute(text("UPDATE learner SET wake_at = :due, next_contact_at = NULL"
                              " WHERE wake_at IS DISTINCT FROM :due OR next_contact_at IS NOT NULL"), {"due": DUE})
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE outbox"))
            conn.execute(text("VACUUM ANALYZE prompt"))
            conn.execute(text("VACUUM ANALYZE learner"))
            # The reset's writes flushed now, not by a checkpoint in the middle of the run (a run
            # right after a --morning reset of a million rows measured 40 % low for that).
            conn.execute(text("CHECKPOINT"))
    engine.dispose()
    return time.perf_counter() - t0


def _wal_position(url: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        position = conn.execute(text("SELECT pg_current_wal_lsn()::text")).scalar()
    engine.dispose()
    return position


def _wal_bytes_since(url: str, position: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        written = conn.execute(text("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), CAST(:p AS pg_lsn))"),
                               {"p": position}).scalar()
    engine.dispose()
    return int(written)


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # gone, or no /proc
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_sample(fake_pid: int, worker_pids: list[int]) -> dict:
    """CPU seconds so far of the fake API, the workers, PostgreSQL's processes, and the machine
    (busy and all, from /proc/stat): differences of two samples say who spent the cores."""
    postgres = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()
                and (p / "comm").exists() and _comm(p) == "postgres"]
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    hz = os.sysconf("SC_CLK_TCK")
    idle = ticks[3] + ticks[4]
    return {"fake": _cpu_seconds(fake_pid), "workers": sum(_cpu_seconds(p) for p in worker_pids),
            "postgres": sum(_cpu_seconds(p) for p in postgres), "busy": (sum(ticks[:8]) - idle) / hz,
            "all": sum(ticks[:8]) / hz}


def _comm(path: Path) -> str:
    try:
        return (path / "comm").read_text().strip()
    except OSError:
        return ""


def worker(code: str, config: dict, mode: str, seconds: float, start, out) -> None:
    """One worker process: wait for the start, then plan or deliver until the time is up."""
    import resource

    sys.path.insert(0, code)
    from app import create_app
    from app.clock import FrozenClock
    from app.scheduling.dispatcher import Dispatch, deliver, plan_due, run_pass

    app = create_app({**config, "CLOCK": FrozenClock(NOW)})
    ctx = Dispatch.of(app)
    start.wait()
    t0, cpu0, main0 = time.perf_counter(), time.process_time(), time.thread_time()
    done = 0
    while time.perf_counter() - t0 < seconds:
        now = NOW + timedelta(seconds=time.perf_counter() - t0)  # a 429 requeues a row seconds ahead
        if mode == "plan":
            got = plan_due(ctx, now=NOW).planned
        elif mode == "morning":
            got = run_pass(ctx, now=now).delivery.sent
        else:  # as a pass of the worker sends (before SAATHI_DISPATCH_PASS_SECONDS: one batch of rows)
            got = deliver(ctx, now=now).sent
        done += got
        if not got and mode == "plan":
            break
    cpu, main = time.process_time() - cpu0, time.thread_time() - main0
    out.put({"done": done, "seconds": round(time.perf_counter() - t0, 2), "cpu_s": round(cpu, 2),
             "cpu_ms_each": round(cpu * 1000 / max(done, 1), 2), "main_thread_ms_each": round(main * 1000 / max(done, 1), 2),
             "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="PostgreSQL; empty (filled once) or filled by this script")
    parser.add_argument("--learners", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument("--in-flight", type=int, default=100, help="SAATHI_TWILIO_MAX_IN_FLIGHT of each worker")
    parser.add_argument("--account-limit", type=int, default=100, help="the fake's --max-in-flight (0: none)")
    parser.add_argument("--seconds", type=float, default=30, help="how long the workers deliver (or plan)")
    parser.add_argument("--warmup", type=float, default=5, help="seconds not counted at the start")
    parser.add_argument("--plan-only", action="store_true", help="time plan_due instead of delivery")
    parser.add_argument("--morning", action="store_true", help="plan and send (whole passes), nothing queued")
    parser.add_argument("--batch", type=int, default=500, help="SAATHI_DISPATCH_BATCH")
    parser.add_argument("--pass-seconds", type=float, default=10, help="SAATHI_DISPATCH_PASS_SECONDS")
    parser.add_argument("--code", default=str(ROOT), help="the checkout whose app/ the workers run")
    parser.add_argument("--label", default="")
    parser.add_argument("--json", metavar="FILE", help="append the figures to FILE (one JSON object a line)")
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql"):
        sys.exit("--database-url must be PostgreSQL (several worker processes share it)")

    prep_s = prepare(args.database_url, args.learners, queued=not args.morning)
    print(f"database ready: {args.learners:,} learners, all due ({prep_s:.1f} s)", flush=True)
    port = free_port()
    fake = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "fake_twilio.py"), "--port", str(port), "--quiet",
                             "--auth-token", "bench-token", "--max-in-flight", str(args.account_limit)],
                            stdout=subprocess.PIPE)
    fake.stdout.readline()
    base = f"http://127.0.0.1:{port}"
    requests.post(f"{base}/_fake/config", json={"auto_callbacks": False}, timeout=5)
    config = {"DATABASE_URL": args.database_url, "TRANSPORT": "twilio", "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
              "TWILIO_AUTH_TOKEN": "bench-token", "TWILIO_FROM": "+15005550006", "TWILIO_API_BASE": base,
              "PUBLIC_URL": "http://127.0.0.1:9", "SEGMENTS_PER_SECOND": 0, "DISPATCH_BATCH": args.batch,
              "DAILY_CAP": 3, "LOG_LEVEL": "WARNING", "DISPATCH_PASS_SECONDS": args.pass_seconds, "TWILIO_MAX_IN_FLIGHT": args.in_flight,
              "DELIVERY_THREADS": args.in_flight}
    mp = multiprocessing.get_context("spawn")
    start, out = mp.Event(), mp.Queue()
    mode = "plan" if args.plan_only else "morning" if args.morning else "deliver"
    procs = [mp.Process(target=worker, args=(args.code, config, mode, args.seconds, start, out))
             for _ in range(args.workers)]
    try:
        for p in procs:
            p.start()
        time.sleep(3)  # let them import and connect
        wal0 = _wal_position(args.database_url)
        start.set()
        t0 = time.perf_counter()
        time.sleep(args.warmup)
        first = requests.get(f"{base}/_fake/stats", timeout=10).json()
        cpu1 = cpu_sample(fake.pid, [p.pid for p in procs])
        t1 = time.perf_counter()
        time.sleep(max(0.0, args.seconds - args.warmup))
        last = requests.get(f"{base}/_fake/stats", timeout=10).json()
        cpu2 = cpu_sample(fake.pid, [p.pid for p in procs])
        t2 = time.perf_counter()
        results = [out.get(timeout=300) for _ in procs]
        for p in procs:
            p.join(60)
        wal = _wal_bytes_since(args.database_url, wal0)
        stats = requests.get(f"{base}/_fake/stats", timeout=10).json()
        to = [m["to"] for m in requests.get(f"{base}/_fake/messages", timeout=60).json()]
    finally:
        fake.terminate()
        fake.wait(5)
    figures = {"label": args.label, "mode": mode, "learners": args.learners, "workers": args.workers,
               "in_flight": args.in_flight, "account_limit": args.account_limit, "seconds": args.seconds,
               "per_worker": results, "fake": stats, "peak_rss_mb": max(r["peak_rss_mb"] for r in results)}
    # WAL written per prompt sent or learner planned: the database's share of the work, which,
    # unlike a rate, does not change with whatever else the machine is doing.
    figures["wal_bytes_each"] = round(wal / max(sum(r["done"] for r in results), 1))
    if mode != "plan":
        figures["prompts_per_second"] = round((last["accepted"] - first["accepted"]) / (t2 - t1), 1)
        # Who spent the cores while it was measured, in ms of CPU per prompt accepted ("busy" is
        # the whole machine; "cores_busy" how many of its cores were in use on average).
        accepted = max(last["accepted"] - first["accepted"], 1)
        figures["cpu_ms_each"] = {k: round((cpu2[k] - cpu1[k]) * 1000 / accepted, 3)
                                  for k in ("workers", "fake", "postgres", "busy")}
        figures["cores_busy"] = round((cpu2["busy"] - cpu1["busy"]) / (t2 - t1), 2)
        figures["sent_by_workers"] = sum(r["done"] for r in results)
        figures["duplicates"] = len(to) - len(set(to))
        assert figures["duplicates"] == 0, "a prompt went twice"
    else:
        figures["learners_planned_per_second_per_worker"] = round(
            sum(r["done"] / r["seconds"] for r in results) / len(results), 1)
    print(json.dumps(figures, indent=2))
    if args.json:
        with open(args.json, "a") as fh:
            fh.write(json.dumps(figures) + "\n")
    del t0


if __name__ == "__main__":
    main()

"""Dispatch throughput: due cards sent per second through the real twilio client.

Builds a database of N learners (one FSRS card each) of which D have a card due now,
starts the fake Twilio API (scripts/fake_twilio.py) in its own process, and runs dispatch
passes until everything due has been sent. Prints cards per second, the split between
planning and delivery, the cost of an idle pass (nothing due: it must not grow with N),
and the process's peak memory.

    .venv/bin/python scripts/bench_dispatch.py                  # 100,000 learners, 10,000 due
    .venv/bin/python scripts/bench_dispatch.py --learners 1000000 --due 10000
    .venv/bin/python scripts/bench_dispatch.py --database-url postgresql://postgres@127.0.0.1/bench
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert

from app import create_app, migrate
from app.clock import FrozenClock
from app.db import make_engine
from app.learning import srs
from app.models import Card, Cohort, Item, Learner, Module, Pack, Site

NOW = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)  # 10:30 in India


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def populate(url: str, learners: int, due: int) -> None:
    engine = make_engine(url)
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
        state = srs.review(None, correct=True, now=NOW - timedelta(days=3))
        chunk = 20_000
        for start in range(0, learners, chunk):
            ids = range(start, min(start + chunk, learners))
            conn.execute(insert(Learner), [{
                "phone": f"+9198{n:08d}", "name": f"Learner {n}", "site_id": 1, "cohort_id": 1,
                "language": "en", "channel": "sms", "status": "active", "created_at": NOW, "updated_at": NOW,
            } for n in ids])
            conn.execute(insert(Card), [{
                "learner_id": n + 1, "item_id": 1 + n % 5, "state": 2, "reps": 1, "lapses": 0,
                "due": NOW - timedelta(hours=1) if n < due else NOW + timedelta(days=5 + n % 20),
                "last_review": NOW - timedelta(days=3), "fsrs": state,
            } for n in ids])
    engine.dispose()


def _migrate_and_populate(url: str, learners: int, due: int) -> None:
    migrate.upgrade(url)
    populate(url, learners, due)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--database-url", help="an EMPTY database to fill (default: a temporary SQLite file)")
    parser.add_argument("--batch", type=int, default=1000, help="SAATHI_DISPATCH_BATCH")
    parser.add_argument("--json", metavar="FILE", help="also write the figures to FILE (docs/performance.md)")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="saathi-bench-")
    url = args.database_url or f"sqlite:///{tmp}/bench.db"
    t0 = time.perf_counter()
    # Filled in a child process, so peak_rss_mb below is the dispatcher's memory, not the filler's.
    child = multiprocessing.get_context("spawn").Process(target=_migrate_and_populate,
                                                         args=(url, args.learners, args.due))
    child.start()
    child.join()
    if child.exitcode:
        sys.exit(f"filling the database failed ({child.exitcode})")
    print(f"database: {url.split('@')[-1]}  {args.learners:,} learners, {args.due:,} cards due "
          f"(filled in {time.perf_counter() - t0:.1f} s)")

    port = free_port()
    fake = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "fake_twilio.py"), "--port", str(port),
                             "--quiet", "--auth-token", "bench-token"], stdout=subprocess.PIPE)
    fake.stdout.readline()  # "fake Twilio on ..."
    base = f"http://127.0.0.1:{port}"
    requests.post(f"{base}/_fake/config", json={"auto_callbacks": False}, timeout=5)
    try:
        app = create_app({
            "DATABASE_URL": url, "CLOCK": FrozenClock(NOW), "TRANSPORT": "twilio",
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "bench-token",
            "TWILIO_FROM": "+15005550006", "TWILIO_API_BASE": base, "PUBLIC_URL": "http://127.0.0.1:9",
            "SEGMENTS_PER_SECOND": 0, "DISPATCH_BATCH": args.batch, "DAILY_CAP": 3,
        })
        from app.scheduling.dispatcher import Dispatch, deliver, plan_due

        ctx = Dispatch.of(app)

        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        plan_s = deliver_s = 0.0
        sent = passes = 0
        while True:
            passes += 1
            t = time.perf_counter()
            planned = plan_due(ctx, now=NOW).planned
            plan_s += time.perf_counter() - t
            t = time.perf_counter()
            sent += deliver(ctx, now=NOW).sent
            deliver_s += time.perf_counter() - t
            if planned == 0:
                break
        total = plan_s + deliver_s
        t = time.perf_counter()
        plan_due(ctx, now=NOW + timedelta(minutes=1))
        idle_ms = (time.perf_counter() - t) * 1000
        accepted = len(requests.get(f"{base}/_fake/messages", timeout=30).json())
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        figures = {
            "learners": args.learners, "due": args.due, "sent": sent, "accepted_by_fake": accepted,
            "passes": passes, "seconds": round(total, 2), "cards_per_second": round(sent / total, 1),
            "plan_seconds": round(plan_s, 2), "deliver_seconds": round(deliver_s, 2),
            "idle_pass_ms": round(idle_ms, 1), "peak_rss_mb": round(peak_mb, 1),
            "rss_before_dispatch_mb": round(rss_before / 1024, 1),
        }
        figures["database"] = "postgresql" if url.startswith("postgresql") else "sqlite"
        print(json.dumps(figures, indent=2))
        if args.json:
            Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
        assert sent == accepted == args.due, "every due card must be sent exactly once"
    finally:
        fake.terminate()
        fake.wait(5)


if __name__ == "__main__":
    main()

"""Inbound answers per second through ``POST /twilio/sms`` under gunicorn.

Sets up N learners who each have a quiz question pending, starts Saathi under gunicorn,
and has C concurrent clients answer by signed webhook (one answer per learner, each a
fresh MessageSid). A bare Flask endpoint returning fixed TwiML runs under the same
gunicorn settings in the same run, so the figures read as a ratio to "Flask doing nothing".

    .venv/bin/python scripts/bench_webhook.py                      # SQLite, 2,000 answers, 8 clients
    .venv/bin/python scripts/bench_webhook.py --database-url postgresql://postgres@127.0.0.1/bench --workers 4
    .venv/bin/python scripts/bench_webhook.py --clients 1,4,16 --database-url postgresql://...  # levels
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from datetime import UTC

from twilio.request_validator import RequestValidator

TOKEN = "bench-token"
# Answers sent before the measured levels: gunicorn's port is open before its workers have
# imported the app, and each worker's first answers pay for its imports and first queries
# (~2 s at 16 clients on 4 fresh workers, which measured as a p99 of 2.1 s).
WARM_UP = 200
BARE_APP = '''
from flask import Flask, Response
app = Flask("bare")

@app.post("/twilio/sms")
def sms():
    return Response("<?xml version=\\"1.0\\" encoding=\\"UTF-8\\"?><Response><Message>Correct!</Message></Response>",
                    mimetype="application/xml")
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(url: str, learners: int) -> list[str]:
    """Learners with a pending question, through the real session and dispatch code."""
    from datetime import datetime

    from app import create_app, migrate
    from app.clock import FrozenClock
    from app.db import session_scope
    from app.learning.sessions import complete_session
    from app.models import Cohort, Item, Module, Pack
    from app.people.learners import import_learners
    from app.people.sites import add_site
    from app.scheduling.dispatcher import dispatch_once

    migrate.upgrade(url)
    now = datetime.now(UTC).replace(hour=5, minute=0)  # 10:30 in India
    app = create_app({"DATABASE_URL": url, "CLOCK": FrozenClock(now), "SEGMENTS_PER_SECOND": 0,
                      "DISPATCH_BATCH": learners + 10, "DELIVERY_THREADS": 1, "LOG_LEVEL": "WARNING"})
    phones = [f"+9198{n:08d}" for n in range(learners)]
    with app.app_context(), session_scope(app) as db:
        add_site(db=db, name="Bench Site")
        rows = "\n".join(f"{p},Learner {n},Bench Site,en,bench" for n, p in enumerate(phones))
        import_learners(db=db, csv_text="phone,name,site,language,cohort\n" + rows, now=now)
        pack = Pack(slug="bench", title={"en": "Bench"}, languages=["en"])
        db.add(pack)
        db.flush()
        module = Module(pack_id=pack.id, slug="m", key="bench/m", title={"en": "M"}, greeting={}, feedback={})
        db.add(module)
        db.flush()
        for i in range(3):
            db.add(Item(module_id=module.id, slug=f"q{i}", position=i, question={"en": f"Question {i}?"},
                        options=[{"en": "Yes"}, {"en": "No"}], answer=1, explanation={"en": "Because."}))
        db.flush()
        cohort = db.exec(__import__("sqlmodel").select(Cohort)).one()
        complete_session(db=db, cohort=cohort, module=module, held_at=now, now=now)
    dispatch_once(app=app)
    app.extensions["saathi.engine"].dispose()
    return phones


def gunicorn(target: str, port: int, workers: int, env: dict, cwd: str, log: Path | None = None) -> subprocess.Popen:
    cmd = [str(Path(sys.executable).parent / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}",
           "--log-level", "warning", target]
    out = open(log, "ab") if log else None  # noqa: SIM115  (the server's stderr for its lifetime; closed by the OS)
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, cwd=cwd, stderr=out)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"gunicorn {target} did not start")


def _cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


class CpuMeter:
    """CPU time used by the gunicorn workers and by the database's server processes during a
    level: the cost of an answer, which other load on the machine does not inflate the way it
    inflates latency (the machine these figures come from is shared)."""

    def __init__(self, server: subprocess.Popen, url: str | None):
        self.server, self.url = server, url

    def _backends(self) -> list[int]:
        if not self.url or "postgresql" not in self.url:
            return []
        import psycopg

        with psycopg.connect(self.url.replace("postgresql+psycopg://", "postgresql://")) as conn:
            return [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                                               " AND pid <> pg_backend_pid()")]

    def snapshot(self) -> dict:
        return {"app": {p: _cpu(p) for p in _children(self.server.pid)},
                "db": {p: _cpu(p) for p in self._backends()}}

    def since(self, start: dict, requests: int) -> dict:
        now = self.snapshot()
        used = {k: sum(v - start[k].get(p, 0.0) for p, v in now[k].items()) for k in now}
        return {"app_cpu_ms": round(1000 * used["app"] / requests, 2),
                "db_cpu_ms": round(1000 * used["db"] / requests, 2) if self.url else None}


def load(port: int, phones: list[str], clients: int, meter: CpuMeter | None = None) -> dict:
    """Each client keeps one connection and answers for its share of learners."""
    url = f"http://127.0.0.1:{port}/twilio/sms"
    validator = RequestValidator(TOKEN)
    latencies: list[float] = []
    errors = []
    lock = threading.Lock()

    def client(share: list[str]):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        for phone in share:
            params = {"MessageSid": "SM" + uuid.uuid4().hex, "From": phone, "To": "+15005550006",
                      "Body": "1", "AccountSid": "AC" + "0" * 32}
            body = urlencode(params)
            headers = {"Content-Type": "application/x-www-form-urlencoded",
                       "X-Twilio-Signature": validator.compute_signature(url, params)}
            t = time.perf_counter()
            conn.request("POST", "/twilio/sms", body, headers)
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - t)
            if response.status != 200:
                errors.append(response.status)
        conn.close()
        with lock:
            latencies.extend(mine)

    shares = [phones[i::clients] for i in range(clients)]
    threads = [threading.Thread(target=client, args=(s,)) for s in shares]
    cpu_start = meter.snapshot() if meter else None
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    latencies.sort()
    cpu = meter.since(cpu_start, len(latencies)) if meter else {}
    return {"requests": len(latencies), "errors": len(errors), "seconds": round(elapsed, 2),
            "per_second": round(len(latencies) / elapsed, 1),
            "p50_ms": round(1000 * statistics.median(latencies), 1),
            "p99_ms": round(1000 * latencies[int(0.99 * (len(latencies) - 1))], 1), **cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=2000)
    parser.add_argument("--clients", default="8",
                        help="concurrent clients; a list (1,4,16) runs each level, fresh learners each")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--database-url", help="an EMPTY database (default: a temporary SQLite file)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures to FILE (docs/performance.md)")
    args = parser.parse_args()
    levels = [int(c) for c in str(args.clients).split(",")]
    tmp = tempfile.mkdtemp(prefix="saathi-bench-")
    url = args.database_url or f"sqlite:///{tmp}/bench.db"
    # Each level answers for its own learners, so every request grades a pending question;
    # WARM_UP more answers first (unmeasured) while the gunicorn workers finish booting.
    phones = prepare(url, args.answers * len(levels) + WARM_UP)
    warm_up, phones = phones[:WARM_UP], phones[WARM_UP:]
    shares = {c: phones[i * args.answers:(i + 1) * args.answers] for i, c in enumerate(levels)}
    (Path(tmp) / "bare.py").write_text(BARE_APP)

    bare_results, ours_results = {}, {}
    port = free_port()
    bare = gunicorn("bare:app", port, args.workers, {"PYTHONPATH": tmp}, tmp)
    try:
        load(port, warm_up, max(levels))  # the same warm-up as Saathi's (the bare app answers anyone)
        for clients in levels:
            bare_results[clients] = load(port, shares[clients], clients, CpuMeter(bare, None))
    finally:
        bare.terminate()
        bare.wait()
    port = free_port()
    env = {"SAATHI_DATABASE_URL": url, "SAATHI_TWILIO_AUTH_TOKEN": TOKEN, "PYTHONPATH": str(ROOT),
           "SAATHI_PUBLIC_URL": f"http://127.0.0.1:{port}", "SAATHI_INSTANCE_PATH": tmp,
           "SAATHI_LOG_LEVEL": os.environ.get("SAATHI_LOG_LEVEL", "INFO")}  # as deployed: a line a request
    saathi = gunicorn("app:create_app()", port, args.workers, env, str(ROOT), log=Path(tmp) / "saathi.log")
    try:
        load(port, warm_up, max(levels))
        meter = CpuMeter(saathi, args.database_url)
        for clients in levels:
            ours_results[clients] = load(port, shares[clients], clients, meter)
    finally:
        saathi.terminate()
        saathi.wait()
    runs = []
    for clients in levels:
        base, ours = bare_results[clients], ours_results[clients]
        runs.append({"clients": clients, "bare_flask": base, "saathi_sms_webhook": ours,
                     "ratio": {"throughput": round(ours["per_second"] / base["per_second"], 3),
                               "p50": round(ours["p50_ms"] / base["p50_ms"], 1),
                               "p99": round(ours["p99_ms"] / base["p99_ms"], 1)}})
    results = {"runs": runs,
               "setup": {"database": url.split("@")[-1].split("?")[0] if "postgres" in url else "sqlite",
                         "gunicorn_workers": args.workers, "answers_per_level": args.answers,
                         "cores": os.cpu_count()}}
    if len(runs) == 1:  # the single-level shape of earlier runs
        results = {"bare_flask": runs[0]["bare_flask"], "saathi_sms_webhook": runs[0]["saathi_sms_webhook"],
                   "ratio": runs[0]["ratio"], "setup": {**results["setup"], "clients": levels[0]}}
    print(json.dumps(results, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    failed = sum(r["errors"] for r in ours_results.values())
    if failed:
        sys.exit(f"{failed} webhook requests failed")


if __name__ == "__main__":
    main()

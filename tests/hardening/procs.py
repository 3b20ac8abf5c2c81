"""Real processes for the fault tests: the fake Twilio API, ``saathi`` CLI passes and
workers, gunicorn, and throwaway PostgreSQL databases of their own.

Everything here runs as separate OS processes, so a test can SIGKILL one mid-call the
way an OOM killer or a pulled plug would, and look at what the database kept.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import requests
from sqlalchemy import text
from sqlmodel import select

from app import create_app, migrate
from app.config import REPO_ROOT
from app.db import make_engine, session_scope
from app.learning.sessions import complete_session
from app.models import Cohort, Outbox
from app.people.learners import import_learners
from app.people.sites import add_site
from tests.factories import make_module

BIN = Path(sys.executable).parent
ACCOUNT = "AC" + "0" * 32
TOKEN = "fault-token"
FROM = "+15005550006"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float = 30.0, step: float = 0.1) -> bool:
    """Poll ``predicate`` until it holds (True) or ``timeout`` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def wait_port(port: int, proc: subprocess.Popen | None = None, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args[:3]} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listening on {port} after {timeout} s")


def stop(proc: subprocess.Popen | None, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
    """End one process we started, by its pid."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def noon_zone(now: datetime | None = None) -> str:
    """An ``Etc/GMT±N`` zone where it is now between 11:00 and 13:00: inside any send window."""
    hour = (now or datetime.now(UTC)).hour
    offset = (12 - hour + 12) % 24 - 12  # -12..+11 hours from UTC
    return "Etc/GMT" + (f"{-offset:+d}" if offset else "")


class FakeProcess:
    """scripts/fake_twilio.py as a subprocess, driven through its /_fake/ control API."""

    def __init__(self, callbacks: bool = False, network: bool = False):
        """``network``: the fake's own defaults, as over a real network (0.2 s a request, 100
        in flight); otherwise instant and unlimited, for tests that time nothing."""
        self.port = free_port()
        instant = [] if network else ["--latency", "0", "--max-in-flight", "0"]
        self.proc = subprocess.Popen([sys.executable, str(REPO_ROOT / "scripts" / "fake_twilio.py"),
                                      "--port", str(self.port), "--quiet", "--auth-token", TOKEN,
                                      "--callback-delay", "0", *instant], stdout=subprocess.DEVNULL)
        wait_port(self.port, self.proc)
        self.base = f"http://127.0.0.1:{self.port}"
        self.config(auto_callbacks=callbacks)

    def config(self, **values) -> None:
        requests.post(f"{self.base}/_fake/config", json=values, timeout=5).raise_for_status()

    def fault(self, kind: str, **kwargs) -> None:
        requests.post(f"{self.base}/_fake/faults", json={"type": kind, **kwargs}, timeout=5).raise_for_status()

    def messages(self) -> list[dict]:
        return requests.get(f"{self.base}/_fake/messages", timeout=30).json()

    def calls(self) -> list[dict]:
        return requests.get(f"{self.base}/_fake/calls", timeout=30).json()

    def per_phone(self) -> Counter:
        return Counter(m["to"] for m in self.messages())

    def close(self) -> None:
        stop(self.proc)


def app_env(database_url: str, fake: FakeProcess, public_url: str = "http://127.0.0.1:9", **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAATHI_", "PROMETHEUS"))}
    env.update({
        "SAATHI_DATABASE_URL": database_url, "SAATHI_TRANSPORT": "twilio", "SAATHI_TWILIO_ACCOUNT_SID": ACCOUNT,
        "SAATHI_TWILIO_AUTH_TOKEN": TOKEN, "SAATHI_TWILIO_FROM": FROM, "SAATHI_TWILIO_API_BASE": fake.base,
        "SAATHI_PUBLIC_URL": public_url, "SAATHI_SEGMENTS_PER_SECOND": "0", "SAATHI_TWILIO_TIMEOUT": "60",
        "SAATHI_SECRET_KEY": "fault-tests", "PYTHONPATH": str(REPO_ROOT), "PYTHONUNBUFFERED": "1",
    })
    env.update({f"SAATHI_{k}": str(v) for k, v in extra.items()})
    return env


def saathi(*args: str, env: dict, log: Path | None = None, **popen) -> subprocess.Popen:
    """``saathi <args>`` as its own process (stderr, the JSON log, to ``log``)."""
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - open while the process runs
    return subprocess.Popen([str(BIN / "saathi"), *args], env=env, stdout=subprocess.PIPE, stderr=out,
                            cwd=REPO_ROOT, **popen)


def gunicorn(env: dict, port: int, workers: int = 2, log: Path | None = None) -> subprocess.Popen:
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - open while the process runs
    proc = subprocess.Popen([str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}",
                             "-c", "python:app.observability.gunicorn_conf", "app:create_app()"],
                            env=env, stdout=out, stderr=out, cwd=REPO_ROOT)
    wait_port(port, proc)
    return proc


def populate(database_url: str, learners: int, *, zone: str | None = None) -> list[str]:
    """A site where it is midday, ``learners`` learners in one cohort, their session held now."""
    app = create_app({"DATABASE_URL": database_url})
    now = datetime.now(UTC)
    phones = [f"+9198{n:08d}" for n in range(learners)]
    with app.app_context(), session_scope(app) as db:
        add_site(db=db, name="Fault Site", country="IN", timezone=zone or noon_zone(now))
        rows = "\n".join(f"{p},Learner {n},Fault Site,en,faults" for n, p in enumerate(phones))
        report = import_learners(db=db, csv_text="phone,name,site,language,cohort\n" + rows, now=now)
        assert not report.errors, report.errors
        module = make_module(db)
        cohort = db.exec(select(Cohort)).one()
        complete_session(db=db, cohort=cohort, module=module, held_at=now, now=now)
    app.extensions["saathi.engine"].dispose()
    return phones


def outbox(database_url: str, purpose: str = "prompt") -> list[Outbox]:
    engine = make_engine(database_url, sqlite_immediate=False)
    from sqlmodel import Session

    with Session(engine) as db:
        rows = list(db.exec(select(Outbox).where(Outbox.purpose == purpose).order_by(Outbox.id)).all())
    engine.dispose()
    return rows


def due_prompt_phones(database_url: str) -> set[str]:
    """Learners with a prompt due but not yet written to the outbox: the next pass sends it."""
    from sqlmodel import Session

    from app.models import Learner, Prompt

    engine = make_engine(database_url, sqlite_immediate=False)
    with Session(engine) as db:
        phones = set(db.exec(select(Learner.phone).join(Prompt, Prompt.learner_id == Learner.id)
                             .where(Prompt.status == "queued", Prompt.due_at <= datetime.now(UTC))).all())
    engine.dispose()
    return phones


def expire_leases(database_url: str) -> int:
    """Stand-in for waiting out the two-minute lease of rows a killed worker claimed."""
    engine = make_engine(database_url, sqlite_immediate=False)
    with engine.begin() as conn:
        n = conn.execute(text("UPDATE outbox SET claimed_until = :past WHERE status = 'sending'"),
                         {"past": datetime(2000, 1, 1)}).rowcount
    engine.dispose()
    return n


def sqlite_database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/faults.db"
    migrate.upgrade(url)
    return url


def postgres_database(name_hint: str) -> str | None:
    """A new, migrated PostgreSQL database beside TEST_DATABASE_URL's (None if that is unset)."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base or not base.startswith("postgresql"):
        return None
    name = f"saathi_{name_hint}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(base.rsplit("/", 1)[0] + "/postgres")
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = base.rsplit("/", 1)[0] + "/" + name
    migrate.upgrade(url)
    return url


def drop_postgres_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = make_engine(url.rsplit("/", 1)[0] + "/postgres")
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def exactly_once(phones: list[str], fake: FakeProcess, database_url: str) -> dict:
    """The numbers every fault test prints and checks: each due prompt sent once, or queued."""
    per_phone = fake.per_phone()
    rows = outbox(database_url)
    waiting = {r.to_number for r in rows if r.status in ("queued", "sending")} | due_prompt_phones(database_url)
    queued = {p for p in waiting if not per_phone[p]}  # due, not sent yet: a later pass sends it
    figures = {
        "learners": len(phones), "api_messages": sum(per_phone.values()),
        "sent_once": sum(1 for p in phones if per_phone[p] == 1),
        "sent_twice_or_more": sum(1 for p in phones if per_phone[p] > 1),
        "still_queued": len(queued), "never_sent_nor_queued": sum(1 for p in phones if not per_phone[p] and p not in queued),
        "outbox_rows": len(rows), "rows_tried_twice": sum(1 for r in rows if r.attempts > 1),
    }
    return figures

"""Production shape on PostgreSQL: several workers, two gunicorn instances, a database
restart under load. Each test makes (and drops) a database of its own beside
TEST_DATABASE_URL's, so it never touches the shared test database's tables.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy import func
from sqlmodel import Session, select
from twilio.request_validator import RequestValidator

from app.db import make_engine
from app.models import Answer, Feedback, Inbound
from tests.hardening.procs import (
    TOKEN,
    FakeProcess,
    app_env,
    drop_postgres_database,
    exactly_once,
    expire_leases,
    free_port,
    gunicorn,
    outbox,
    populate,
    postgres_database,
    saathi,
    stop,
    wait_for,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
REPLIES = ["2", "2", "1", "5", "Useful session"]


@pytest.fixture
def pg_url(request):
    url = postgres_database(request.node.name[:20].lower().replace("[", "_"))
    if url is None:
        pytest.skip("needs TEST_DATABASE_URL pointing at PostgreSQL")
    yield url
    drop_postgres_database(url)


@pytest.fixture
def fake():
    fake = FakeProcess(callbacks=True)
    yield fake
    fake.close()



def _count(url: str, model) -> int:
    engine = make_engine(url)
    with Session(engine) as db:
        n = db.exec(select(func.count(model.id))).one()
    engine.dispose()
    return n


class Learners:
    """Phones answering every question over the webhooks of two gunicorn instances (one
    public URL, as behind a load balancer), some answers posted twice at once as a
    retrying Twilio does."""

    def __init__(self, public_url: str, ports: list[int], seed: int = 6):
        self.public_url, self.ports, self.rng = public_url, ports, random.Random(seed)
        self.posted = Counter()  # distinct MessageSids per phone
        self.lock = threading.Lock()
        self.errors: list = []

    def _post(self, port: int, params: dict) -> requests.Response:
        signature = RequestValidator(TOKEN).compute_signature(self.public_url + "/twilio/sms", params)
        return requests.post(f"http://127.0.0.1:{port}/twilio/sms", data=params, timeout=30,
                             headers={"X-Twilio-Signature": signature})

    def answer_all(self, phone: str) -> None:
        for body in REPLIES:
            params = {"MessageSid": "SM" + uuid.uuid4().hex, "From": phone, "To": "+15005550006", "Body": body}
            port = self.rng.choice(self.ports)
            if self.rng.random() < 0.2:  # the same message to both instances at once
                with ThreadPoolExecutor(2) as pool:
                    responses = list(pool.map(lambda p, form=params: self._post(p, form), self.ports))
                texts = {r.content for r in responses}
                if len(texts) != 1:
                    self.errors.append((phone, "duplicate delivery answered differently"))
            else:
                responses = [self._post(port, params)]
            if any(r.status_code != 200 for r in responses):
                self.errors.append((phone, [r.status_code for r in responses]))
            ET.fromstring(responses[0].content)
            with self.lock:
                self.posted[phone] += 1


def _passes(log: Path) -> list[dict]:
    lines = log.read_text().splitlines() if log.exists() else []
    return [entry["stats"] for entry in map(json.loads, (line for line in lines if line.startswith("{")))
            if entry.get("msg") == "dispatch pass"]


def test_three_workers_and_two_web_instances_share_the_work_without_duplicates(pg_url, fake, tmp_path):
    port_a, port_b = free_port(), free_port()
    public = f"http://127.0.0.1:{port_a}"
    env = app_env(pg_url, fake, public_url=public, DISPATCH_BATCH=30, DELIVERY_THREADS=4)
    webs = [gunicorn(env, port, workers=2, log=tmp_path / f"web{port}.log") for port in (port_a, port_b)]
    workers = [saathi("worker", "--interval", "0.3", env=env, log=tmp_path / f"worker{i}.log") for i in range(3)]
    try:
        # Every worker up and ticking before there is work, so they all compete for it
        # (a worker that booted first could otherwise take every batch alone).
        assert wait_for(lambda: all(_passes(tmp_path / f"worker{i}.log") for i in range(3)), timeout=60)
        # Twilio answering in 0.2 s, as over a real network: a pass of 30 takes over a second,
        # so the other workers' ticks find work (on loopback one worker could do it all).
        fake.fault("delay", count=120, seconds=0.2, accept=True)
        phones = populate(pg_url, 120)
        assert wait_for(lambda: len(fake.per_phone()) == len(phones), timeout=120), "not every learner was texted"
        learners = Learners(public, [port_a, port_b])
        started = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(learners.answer_all, phones))
        answering = time.monotonic() - started
    finally:
        for proc in workers + webs:
            stop(proc)
    figures = exactly_once(phones, fake, pg_url)
    worker_passes = Counter({i: sum(p["sent"] for p in _passes(tmp_path / f"worker{i}.log")) for i in range(3)})
    figures.update(answers=_count(pg_url, Answer), feedback=_count(pg_url, Feedback),
                   inbound_rows=_count(pg_url, Inbound), webhook_posts=sum(learners.posted.values()),
                   sent_by_worker=dict(worker_passes), answer_seconds=round(answering, 1),
                   prompt_rows_delivered=sum(1 for r in outbox(pg_url) if r.status == "delivered"))
    print(f"\n3 workers + 2 gunicorn x 2 on PostgreSQL: {json.dumps(figures)}")
    assert not learners.errors, learners.errors[:5]
    assert figures["sent_once"] == len(phones) and figures["sent_twice_or_more"] == 0
    assert figures["answers"] == 3 * len(phones) and figures["feedback"] == len(phones)
    assert figures["inbound_rows"] == figures["webhook_posts"] == len(REPLIES) * len(phones)
    assert figures["prompt_rows_delivered"] == len(phones)  # every status callback applied
    assert sum(1 for n in worker_passes.values() if n) >= 2, "the work was not shared"


class Settled:
    """Polled after the restart: true once every learner is texted, or once every learner has
    a row, none is queued, and each worker has finished an idle pass since the restart (a
    finished pass holds no rows, an idle one found nothing to send). What is left then is
    rows claimed by a pass the restart broke, held by their lease (which ``expire_leases``
    stands in for); waiting on a fixed timeout for them cost this test 90 s of nothing."""

    def __init__(self, url: str, fake, phones: list[str], logs: list[Path]):
        self.url, self.fake, self.phones, self.logs = url, fake, phones, logs
        self.before = [len(_passes(log)) for log in logs]  # passes logged before the restart

    def __call__(self) -> bool:
        if len(self.fake.per_phone()) == len(self.phones):
            return True
        since = [_passes(log)[n:] for log, n in zip(self.logs, self.before, strict=True)]
        if not all(passes and _idle(passes[-1]) for passes in since):
            return False
        try:
            rows = outbox(self.url)
        except Exception:  # noqa: BLE001 - the server may still be coming back: poll again
            return False
        return len(rows) == len(self.phones) and not any(row.status == "queued" for row in rows)


def _idle(stats: dict) -> bool:
    """Planned and sent nothing (learners held by a broken pass's rows are still looked at)."""
    return not (stats["planned"] or stats["sent"] or stats["retried"] or stats["requeued"])


def _restart_command() -> list[str] | None:
    if os.environ.get("SAATHI_TEST_RESTART_POSTGRES") != "1":
        return None  # opt-in: it restarts the whole server, under everyone's tests (.ci/run sets it)
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if not shutil.which("pg_ctlcluster") or not versions or os.geteuid() != 0:
        return None
    host = os.environ.get("TEST_DATABASE_URL", "").split("@")[-1].split(":")[0].split("/")[0]
    if host not in ("127.0.0.1", "localhost"):
        return None
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "restart"]


def test_the_database_restarting_under_running_workers(pg_url, fake, tmp_path):
    command = _restart_command()
    if command is None:
        pytest.skip("restarts the shared PostgreSQL server: needs SAATHI_TEST_RESTART_POSTGRES=1, root and "
                    "a local cluster (pg_ctlcluster)")
    phones = populate(pg_url, 300)
    port = free_port()
    # Paced sending (60 segments/s), so the restart lands in the middle of the work.
    env = app_env(pg_url, fake, public_url=f"http://127.0.0.1:{port}", SEGMENTS_PER_SECOND=60,
                  DISPATCH_BATCH=50)
    web = gunicorn(env, port, workers=1, log=tmp_path / "web.log")
    workers = [saathi("worker", "--interval", "0.3", env=env, log=tmp_path / f"worker{i}.log") for i in range(2)]
    health = []
    polling = threading.Event()

    def poll():
        while not polling.is_set():
            try:
                health.append(requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code)
            except requests.RequestException:
                health.append(None)
            time.sleep(0.1)

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        assert wait_for(lambda: len(fake.messages()) >= 40, timeout=60)
        at_restart = len(fake.messages())
        started = time.monotonic()
        subprocess.run(command, check=True, timeout=120)
        down_for = time.monotonic() - started
        wait_for(Settled(pg_url, fake, phones, [tmp_path / f"worker{i}.log" for i in range(2)]), timeout=90)
        expire_leases(pg_url)  # rows whose SID could not be stored while the database was down
        wait_for(lambda: len(fake.per_phone()) == len(phones), timeout=60)
    finally:
        polling.set()
        poller.join()
        for proc in workers + [web]:
            stop(proc)
        # The shared CI server must be up when this test ends, whatever happened above.
        status = [*command[:-1], "status"]
        if subprocess.run(status, capture_output=True, check=False).returncode != 0:
            subprocess.run([*command[:-1], "start"], check=True, timeout=120)
    for _ in range(5):
        stats = json.loads(saathi("dispatch", "--once", env=env).communicate(timeout=120)[0])
        if not (stats["planned"] or stats["sent"] or stats["requeued"]):
            break
    failed_passes = sum(line.count("dispatch pass failed") + line.count("planning skipped")
                        for i in range(2) for line in (tmp_path / f"worker{i}.log").read_text().splitlines())
    figures = exactly_once(phones, fake, pg_url)
    figures.update(sent_before_restart=at_restart, restart_seconds=round(down_for, 1),
                   worker_passes_failed=failed_passes, healthz_503=health.count(503),
                   healthz_after=health[-1] if health else None)
    print(f"\nPostgreSQL restarted under 2 workers: {json.dumps(figures)}")
    assert figures["sent_once"] == len(phones) and figures["sent_twice_or_more"] == 0
    assert 503 in health and health[-1] == 200  # /healthz saw it go, and come back

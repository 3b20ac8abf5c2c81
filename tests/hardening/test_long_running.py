"""The long-running entry points as operators run them: ``saathi worker`` and the web app
under gunicorn, real processes against the fake Twilio, started before there is any work.

The worker's first pass used to run inside the command's app context and every later one
on the scheduler's thread without it: the first voice learner due made every pass fail
("Working outside of application context"), SMS learners' included, while the process
looked healthy. These tests mark sessions held only after the worker is up, with voice,
SMS and "both" learners mixed, and read the logs for any traceback.
"""
from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from twilio.request_validator import RequestValidator

from app import create_app
from app.db import session_scope
from app.people.learners import import_learners
from app.people.sites import add_site
from tests.factories import make_module
from tests.hardening.procs import (
    BIN,
    TOKEN,
    FakeProcess,
    app_env,
    drop_postgres_database,
    free_port,
    gunicorn,
    noon_zone,
    postgres_database,
    saathi,
    sqlite_database,
    stop,
    wait_for,
)

pytestmark = pytest.mark.slow

SMS = ["+919800100001", "+919800100002"]
VOICE = ["+919800100003", "+919800100004"]
BOTH = ["+919800100005"]
COHORTS = {"morning-sms": SMS + BOTH, "morning-voice": VOICE}
MODULE = "digital-banking/upi-safety"


@pytest.fixture
def fake():
    fake = FakeProcess(network=True)  # 0.2 s a request, 100 in flight, as Twilio over the network
    yield fake
    fake.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield sqlite_database(tmp_path)
        return
    url = postgres_database("longrun")
    if url is None:
        pytest.skip("needs TEST_DATABASE_URL pointing at PostgreSQL")
    yield url
    drop_postgres_database(url)


def enrol(database_url: str) -> None:
    """A site where it is midday, learners on each channel, no session held yet."""
    app = create_app({"DATABASE_URL": database_url})
    now = datetime.now(UTC)
    channel = {**dict.fromkeys(SMS, "sms"), **dict.fromkeys(VOICE, "voice"), **dict.fromkeys(BOTH, "both")}
    rows = [f"{phone},Learner {phone[-2:]},Midday Site,en,{name},{channel[phone]}"
            for name, phones in COHORTS.items() for phone in phones]
    with app.app_context(), session_scope(app) as db:
        add_site(db=db, name="Midday Site", country="IN", timezone=noon_zone(now))
        report = import_learners(db=db, csv_text="phone,name,site,language,cohort,channel\n" + "\n".join(rows),
                                 now=now)
        assert not report.errors, report.errors
        make_module(db)
    app.extensions["saathi.engine"].dispose()


def log_lines(path: Path) -> list[dict]:
    text = path.read_text() if path.exists() else ""
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def assert_clean(path: Path) -> None:
    """No traceback, nothing at ERROR or above, no phone number in clear."""
    text = path.read_text()
    assert "Traceback" not in text, text[-3000:]
    bad = [line for line in log_lines(path) if line["level"] in ("ERROR", "CRITICAL")]
    assert not bad, bad[:3]
    assert not any(phone in text for phone in SMS + VOICE + BOTH)


def hold_sessions(env: dict) -> None:
    """``saathi sessions complete`` for each cohort, as a trainer at the shell would."""
    for cohort in COHORTS:
        done = subprocess.run([str(BIN / "saathi"), "sessions", "complete", "--cohort", cohort, "--module", MODULE],
                              env=env, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
        assert "quiz queued for" in done.stdout


def signed_post(url: str, params: dict) -> requests.Response:
    signature = RequestValidator(TOKEN).compute_signature(url, params)
    return requests.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=30)


def everyone_contacted(fake: FakeProcess) -> bool:
    texted = {m["to"] for m in fake.messages()}
    called = {c["to"] for c in fake.calls()}
    return texted >= set(SMS + BOTH) and called >= set(VOICE)


def test_worker_started_before_any_session_calls_and_texts_everyone_due(database_url, fake, tmp_path):
    enrol(database_url)
    port = free_port()
    env = app_env(database_url, fake, METRICS_PORT=port)
    log = tmp_path / "worker.log"
    worker = saathi("worker", "--interval", "0.5", env=env, log=log)
    try:
        # Up, ticking and healthy with nothing to do: the passes after the first run on the
        # scheduler's own threads.
        assert wait_for(lambda: sum(1 for line in log_lines(log) if line["msg"] == "dispatch pass") >= 3,
                        timeout=60), log.read_text()[-2000:]
        hold_sessions(env)
        assert wait_for(lambda: everyone_contacted(fake), timeout=60), (fake.messages(), fake.calls())
        health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
        assert health.status_code == 200 and health.json()["status"] == "ok", health.text
    finally:
        stop(worker)
    assert worker.returncode == 0
    passes = [line["stats"] for line in log_lines(log) if line["msg"] == "dispatch pass"]
    assert sum(p["planned"] for p in passes) == len(SMS + BOTH + VOICE)
    assert sum(p["plan_errors"] + p["send_errors"] for p in passes) == 0
    assert len(fake.calls()) == len(VOICE) and len({m["to"] for m in fake.messages()}) == len(SMS + BOTH)
    assert_clean(log)


def test_web_app_under_gunicorn_and_a_worker_run_the_loop_end_to_end(database_url, fake, tmp_path):
    """A session marked held through the web API, the worker's texts and call, the learner's
    SMS answer and Twilio's status callbacks through gunicorn: every reply graded, logs clean."""
    enrol(database_url)
    web_port = free_port()
    public = f"http://127.0.0.1:{web_port}"
    env = app_env(database_url, fake, public_url=public)
    token = subprocess.run([str(BIN / "saathi"), "users", "create", "--email", "lead@example.org", "--role", "admin",
                            "--password", "a long enough password"], env=env, capture_output=True, text=True,
                           timeout=120, check=False)
    assert token.returncode == 0, token.stderr[-2000:]
    made = subprocess.run([str(BIN / "saathi"), "tokens", "create", "--email", "lead@example.org"], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert made.returncode == 0, made.stderr[-2000:]
    api_token = made.stdout.strip().splitlines()[-1]
    web_log, worker_log = tmp_path / "web.log", tmp_path / "worker.log"
    web = gunicorn(env, web_port, workers=2, log=web_log)
    worker = saathi("worker", "--interval", "0.5", env=env, log=worker_log)
    try:
        assert wait_for(lambda: any(line["msg"] == "dispatch pass" for line in log_lines(worker_log)), timeout=60)
        auth = {"Authorization": f"Bearer {api_token}"}
        cohorts = requests.get(f"{public}/api/v1/cohorts", headers=auth, timeout=10).json()["data"]
        for cohort in cohorts:
            held = requests.post(f"{public}/api/v1/sessions", headers=auth, timeout=30,
                                 json={"cohort_id": cohort["id"], "module_key": MODULE,
                                       "held_at": datetime.now(UTC).isoformat()})
            assert held.status_code == 201, held.text
        assert wait_for(lambda: everyone_contacted(fake), timeout=60), (fake.messages(), fake.calls())
        # Twilio reports a text delivered, and an SMS learner answers the first question (2 is
        # right), each posted and signed as Twilio would.
        first = next(m for m in fake.messages() if m["to"] == SMS[0])
        delivered = signed_post(f"{public}/twilio/status", {"MessageSid": first["sid"], "MessageStatus": "delivered"})
        assert delivered.status_code == 204, delivered.text
        answer = signed_post(f"{public}/twilio/sms", {"MessageSid": "SM" + "1" * 32, "From": SMS[0],
                                                       "To": "+15005550006", "Body": "2"})
        assert answer.status_code == 200 and "Correct" in answer.text, answer.text
    finally:
        stop(worker)
        stop(web)
    assert_clean(worker_log)
    assert_clean(web_log)


def test_a_worker_whose_passes_fail_says_so_on_healthz(fake, tmp_path):
    """Started against a database nobody migrated, every pass fails: the process keeps
    running (the next tick may succeed) but ``/healthz`` answers 503 for an alert to see."""
    port = free_port()
    env = app_env(f"sqlite:///{tmp_path}/never-migrated.db", fake, METRICS_PORT=port)
    log = tmp_path / "worker.log"
    worker = saathi("worker", "--interval", "0.3", env=env, log=log)

    def health() -> requests.Response | None:
        try:
            return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
        except requests.ConnectionError:
            return None

    try:
        assert wait_for(lambda: (r := health()) is not None and r.status_code == 503, timeout=60), log.read_text()
        body = health().json()
        assert body["status"] == "failing" and body["consecutive_failures"] >= 1
        assert worker.poll() is None
    finally:
        stop(worker)
    assert any(line["msg"] == "dispatch pass failed" for line in log_lines(log))


def test_a_worker_drains_a_backlog_larger_than_its_batch_without_waiting_for_the_tick(fake, tmp_path):
    """A morning's backlog: 120 due learners, batches of 50, a tick every ten minutes. A pass
    plans batch after batch as its queue runs short; one that runs out of time (here at once:
    SAATHI_DISPATCH_PASS_SECONDS=0) is followed at once by the next, so all 120 go out now."""
    from tests.test_due_index import add_due_learners

    url = sqlite_database(tmp_path)
    app = create_app({"DATABASE_URL": url})
    now = datetime.now(UTC)
    with app.app_context(), session_scope(app) as db:
        add_site(db=db, name="Midday Site", country="IN", timezone=noon_zone(now))
        make_module(db)
    app.extensions["saathi.engine"].dispose()
    add_due_learners(url, 120, now=now)
    log = tmp_path / "worker.log"
    worker = saathi("worker", "--interval", "600", env=app_env(url, fake, DISPATCH_BATCH=50, DISPATCH_PASS_SECONDS=0,
                                                                  TWILIO_MAX_IN_FLIGHT=20), log=log)
    try:
        assert wait_for(lambda: len(fake.messages()) >= 120, timeout=60), len(fake.messages())
    finally:
        stop(worker)
    assert len({m["to"] for m in fake.messages()}) == 120 == len(fake.messages())
    passes = [line["stats"] for line in log_lines(log) if line["msg"] == "dispatch pass"]
    assert sum(p["planned"] for p in passes) == 120 and sum(p["sent"] for p in passes) == 120
    assert len(passes) >= 3 and passes[0]["out_of_time"] == 1  # each pass one claim of 20 rows
    assert_clean(log)
    assert "+9197" not in log.read_text()

"""What an operator sees: request and pass ids in JSON logs, no phone numbers or secrets in
them, /healthz, and Prometheus metrics that move when messages move."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
import uuid

import pytest
from prometheus_client import REGISTRY

from app import create_app
from app.observability.logging import mask_phones
from app.scheduling.dispatcher import dispatch_once
from tests.conftest import AUTH_TOKEN

ASHA = "+919876543210"


def sms(twilio_post, body="2", sender=ASHA, headers=None):
    params = {"MessageSid": "SM" + uuid.uuid4().hex, "From": sender, "To": "+15005550006", "Body": body}
    return twilio_post(path := "/twilio/sms", params) if headers is None else twilio_post(path, params)


def metric(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


# -- request ids -------------------------------------------------------------------------------
def test_a_request_id_is_made_echoed_and_on_every_log_line_of_the_request(app, client, learning, json_logs):
    dispatch_once(app=app)
    json_logs()
    response = client.post("/twilio/sms", data={"MessageSid": "SM1", "From": ASHA, "Body": "2"},
                           headers={"X-Request-Id": "edge-4f2a.77"})
    assert response.status_code == 403  # unsigned: refused, and logged
    assert response.headers["X-Request-Id"] == "edge-4f2a.77"
    lines = json_logs()
    assert {line["msg"] for line in lines} >= {"refused unsigned or forged webhook to /twilio/sms",
                                               "POST /twilio/sms 403"}
    assert {line.get("request_id") for line in lines} == {"edge-4f2a.77"}

    made = client.get("/healthz").headers["X-Request-Id"]
    assert len(made) >= 16 and made != "edge-4f2a.77"


def test_a_forged_request_id_is_replaced_not_logged(client, json_logs):
    response = client.get("/healthz", headers={"X-Request-Id": 'x"} {"level": "CRITICAL'})
    assert response.headers["X-Request-Id"].isalnum()


def test_a_dispatch_pass_logs_one_line_and_its_sending_threads_carry_the_pass_id(app, learning, json_logs):
    json_logs()
    stats = dispatch_once(app=app)
    assert stats.delivery.sent == 2
    lines = json_logs()
    (summary,) = [line for line in lines if line["msg"] == "dispatch pass"]
    assert summary["stats"]["sent"] == 2 and summary["pass_id"]
    sends = [line for line in lines if line["msg"].startswith("console sms")]
    assert len(sends) == 2 and {line["pass_id"] for line in sends} == {summary["pass_id"]}
    assert dispatch_once(app=app) and json_logs()[-1]["pass_id"] != summary["pass_id"]


# -- what must never be in a log ---------------------------------------------------------------
def test_phone_numbers_and_secrets_never_reach_the_log(app, learning, json_logs, twilio_post):
    dispatch_once(app=app)
    sms(twilio_post, "2")
    log = logging.getLogger("app.somewhere")
    log.warning("careless: %s texted from %s", ASHA, "%2B4791000001")
    log.error("token %s and key %s", AUTH_TOKEN, app.config["SECRET_KEY"])
    try:
        raise ValueError(f"lookup failed for {ASHA}")
    except ValueError:
        log.exception("with a traceback")
    text = "\n".join(str(line) for line in json_logs())
    assert "careless" in text and "traceback" in text
    for secret in (ASHA, "919876543210", "4791000001", AUTH_TOKEN, app.config["SECRET_KEY"]):
        assert secret not in text
    assert "+91********10" in text and "%2B47******01" in text


def test_the_mask_leaves_other_numbers_alone():
    assert mask_phones("outbox 12345 at 2026-03-02, +1 800, SID SM0123456789") == \
        "outbox 12345 at 2026-03-02, +1 800, SID SM0123456789"
    assert mask_phones("to:+4791000001.") == "to:+47******01."


def test_the_twilio_client_does_not_log_message_forms():
    assert logging.getLogger("twilio.http_client").getEffectiveLevel() >= logging.WARNING


# -- health ------------------------------------------------------------------------------------
def test_healthz_says_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_healthz_is_503_when_the_database_is_gone(app_config, tmp_path, json_logs):
    app = create_app({**app_config, "DATABASE_URL": f"sqlite:///{tmp_path}/no/such/dir/saathi.db"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.get_json()["status"] == "unavailable"
    assert any("health check failed" in line["msg"] for line in json_logs())
    # /metrics still answers: the counters are what you need to see in an outage
    assert app.test_client().get("/metrics").status_code == 200


# -- metrics -----------------------------------------------------------------------------------
def test_metrics_count_sends_lag_webhooks_and_the_outbox(app, client, clock, learning, twilio_post):
    from app.scheduling.dispatcher import Dispatch, plan_due

    sent = metric("saathi_messages_sent_total", channel="sms", purpose="prompt")
    lag = metric("saathi_dispatch_lag_seconds_count", channel="sms")
    hooks = metric("saathi_webhook_seconds_count", endpoint="twilio.inbound_sms")
    plan_due(Dispatch.of(app), now=clock.now())
    clock.advance(minutes=5)  # planned five minutes before the pass that sends them
    text = client.get("/metrics").get_data(as_text=True)
    assert 'saathi_outbox_depth{status="queued"} 2.0' in text
    assert "saathi_outbox_due 2.0" in text and "saathi_outbox_oldest_due_seconds 300.0" in text
    dispatch_once(app=app)
    assert metric("saathi_messages_sent_total", channel="sms", purpose="prompt") == sent + 2
    assert metric("saathi_dispatch_lag_seconds_count", channel="sms") == lag + 2
    assert metric("saathi_dispatch_lag_seconds_bucket", channel="sms", le="300.0") >= 2
    assert sms(twilio_post, "2").status_code == 200
    assert metric("saathi_webhook_seconds_count", endpoint="twilio.inbound_sms") == hooks + 1
    text = client.get("/metrics").get_data(as_text=True)
    assert 'saathi_outbox_depth{status="queued"} 0.0' in text and "saathi_outbox_due 0.0" in text
    assert "saathi_messages_sent_total" in text and "saathi_webhook_seconds_bucket" in text


def test_metrics_count_retries_and_failures(live_app, fake_twilio, clock):
    from tests.test_delivery_faults import start

    retried = metric("saathi_messages_retried_total", channel="sms", purpose="prompt")
    dead = metric("saathi_messages_failed_total", channel="sms", purpose="prompt", reason="opted_out")
    _asha, ravi = start(live_app, clock)
    fake_twilio.fail_next(2, status=500)
    fake_twilio.opted_out.add(ravi)
    dispatch_once(app=live_app)
    assert metric("saathi_messages_retried_total", channel="sms", purpose="prompt") == retried + 2
    clock.advance(hours=2)
    dispatch_once(app=live_app)
    assert metric("saathi_messages_failed_total", channel="sms", purpose="prompt",
                  reason="opted_out") == dead + 1


def test_metrics_can_require_a_token(app_config):
    client = create_app({**app_config, "METRICS_TOKEN": "s3cret-metrics"}).test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret-metrics"}).status_code == 200


def test_multiprocess_mode_adds_up_every_process(tmp_path, database_url):
    """gunicorn workers and ``saathi worker`` processes each count; /metrics shows the sum."""
    (tmp_path / "metrics").mkdir()  # only Prometheus' files: it reads every *.db in it
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
           "SAATHI_DATABASE_URL": database_url}
    count = textwrap.dedent("""
        import sys
        from app.observability import metrics
        for _ in range(int(sys.argv[1])):
            metrics.sent("sms", "prompt")
    """)
    for n in ("3", "4"):
        subprocess.run([sys.executable, "-c", count, n], env=env, check=True, timeout=60)
    scrape = textwrap.dedent("""
        from app import create_app
        print(create_app().test_client().get("/metrics").get_data(as_text=True))
    """)
    out = subprocess.run([sys.executable, "-c", scrape], env=env, check=True, timeout=60,
                         capture_output=True, text=True).stdout
    assert 'saathi_messages_sent_total{channel="sms",purpose="prompt"} 7.0' in out
    assert "saathi_outbox_depth" in out


def test_a_worker_on_its_own_machine_serves_its_metrics_and_health(app_config):
    import requests

    from app.observability.metrics import start_worker_server
    from app.observability.worker_health import WorkerHealth
    from tests.hardening.procs import free_port

    now = [1000.0]
    health = WorkerHealth(stale_after=60, clock=lambda: now[0])
    assert start_worker_server(create_app(app_config), health) is None  # no SAATHI_METRICS_PORT: nothing
    port = free_port()
    server = start_worker_server(create_app({**app_config, "METRICS_PORT": port}), health)
    base = f"http://127.0.0.1:{port}"
    try:
        text = requests.get(f"{base}/metrics", timeout=5).text
        assert "saathi_dispatch_pass_seconds" in text and "saathi_dispatch_learner_failures" in text
        starting = requests.get(f"{base}/healthz", timeout=5)
        assert starting.status_code == 200 and starting.json()["status"] == "starting"
        health.passed()
        assert requests.get(f"{base}/healthz", timeout=5).json()["status"] == "ok"
        from prometheus_client import REGISTRY

        failures_before = REGISTRY.get_sample_value("saathi_dispatch_pass_failures_total") or 0
        health.failed("OperationalError")  # a pass that failed as a whole
        failing = requests.get(f"{base}/healthz", timeout=5)
        assert failing.status_code == 503
        assert failing.json() == {"status": "failing", "last_error": "OperationalError",
                                  "consecutive_failures": 1, "seconds_since_success": 0.0}
        assert f"saathi_dispatch_pass_failures_total {failures_before + 1}" in requests.get(f"{base}/metrics",
                                                                                           timeout=5).text
        health.passed()
        assert requests.get(f"{base}/healthz", timeout=5).status_code == 200
        now[0] += 61  # no good pass for longer than it may take: stuck
        stalled = requests.get(f"{base}/healthz", timeout=5)
        assert stalled.status_code == 503 and stalled.json()["status"] == "stalled"
    finally:
        server.shutdown()


@pytest.mark.slow
def test_gunicorn_workers_metrics_add_up_in_multiprocess_mode(tmp_path, database_url):
    """Two gunicorn workers answer; whichever serves /metrics reports both workers' counts."""
    import socket
    import time

    import requests

    from tests.hardening import procs

    (tmp_path / "metrics").mkdir()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("SAATHI_")},
           "SAATHI_DATABASE_URL": database_url, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
           "SAATHI_TWILIO_AUTH_TOKEN": "t" * 32, "PYTHONPATH": str(procs.REPO_ROOT)}
    port = procs.free_port()
    web = procs.gunicorn(env, port, workers=2, log=tmp_path / "web.log")
    try:
        # A half-sent request keeps one (sync) worker busy, so the next 20 go to the other.
        held = socket.create_connection(("127.0.0.1", port), timeout=10)
        held.sendall(b"POST /twilio/sms HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        time.sleep(0.5)
        for _ in range(20):
            assert requests.post(f"http://127.0.0.1:{port}/twilio/sms", data={"Body": "x"}, timeout=5).status_code == 403
        held.sendall(b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 6\r\n"
                     b"Connection: close\r\n\r\nBody=x")
        assert b" 403 " in held.recv(4096).split(b"\r\n")[0] + b" "
        held.close()
        scrapes = [requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text for _ in range(4)]
    finally:
        procs.stop(web)
    line = 'saathi_http_requests_total{endpoint="twilio.inbound_sms",status="403"} 21.0'
    assert all(line in text for text in scrapes), [t for t in scrapes if line not in t][:1]
    assert len(list((tmp_path / "metrics").glob("counter_*.db"))) >= 2  # both workers counted

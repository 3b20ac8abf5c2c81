"""``./scripts/dev``, the README's first command, as a new user runs it: the web app and its
worker come up on the embedded default (SQLite, console transport, the demo), a session
held from the shell reaches an SMS learner and a voice learner, and the log stays clean."""
from __future__ import annotations

import os
import re
import signal
import subprocess

import pytest
import requests

from app.config import REPO_ROOT
from tests.hardening.procs import BIN, free_port, noon_zone, wait_for, wait_port

pytestmark = pytest.mark.slow


def test_scripts_dev_serves_the_demo_and_its_worker_sends(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAATHI_", "PROMETHEUS"))}
    env.update({"SAATHI_DATABASE_URL": f"sqlite:///{tmp_path}/dev.db", "SAATHI_PORT": str(port),
                "SAATHI_DISPATCH_INTERVAL_SECONDS": "1", "PYTHONUNBUFFERED": "1"})
    log = tmp_path / "dev.log"
    with open(log, "ab") as out:
        dev = subprocess.Popen([str(REPO_ROOT / "scripts" / "dev")], env=env, stdout=out, stderr=out,
                               cwd=REPO_ROOT, start_new_session=True)
    try:
        wait_port(port, dev, timeout=300)
        assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10).json() == {"status": "ok"}
        assert requests.get(f"http://127.0.0.1:{port}/login", timeout=10).status_code == 200

        def saathi(*args: str, stdin: str | None = None) -> str:
            done = subprocess.run([str(BIN / "saathi"), *args], env=env, input=stdin, capture_output=True,
                                  text=True, timeout=120, cwd=REPO_ROOT, check=False)
            assert done.returncode == 0, done.stderr[-2000:]
            return done.stdout

        saathi("sites", "add", "Noon Site", "--country", "IN", "--timezone", noon_zone())
        csv = tmp_path / "noon.csv"
        csv.write_text("phone,name,site,language,cohort,channel\n"
                       "+919811100087,Meena,Noon Site,hi,noon,sms\n"
                       "+919811100088,Arjun,Noon Site,en,noon,voice\n")
        saathi("learners", "import", str(csv))
        saathi("sessions", "complete", "--cohort", "noon", "--module", "digital-banking/upi-safety")
        # The console transport prints what it sends, the number masked to its last digits.
        texted, called = re.compile(r"console sms to \+91\*+87"), re.compile(r"console call to \+91\*+88")
        assert wait_for(lambda: texted.search(log.read_text()) and called.search(log.read_text()), timeout=60), \
            log.read_text()[-3000:]
    finally:
        if dev.poll() is None:
            os.killpg(dev.pid, signal.SIGTERM)
            try:
                dev.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(dev.pid, signal.SIGKILL)
                dev.wait(10)
    text = log.read_text()
    assert "Traceback" not in text, text[-3000:]
    assert "+919811100087" not in text and "+919811100088" not in text

"""Stoplight Prism serving Twilio's OpenAPI description in mock mode, validating requests.

Skips (with the reason) when node or the npm packages are missing: ``.ci/run`` installs
them with ``npm ci --prefix tests/contract``.
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest

from tests.contract.twilio_spec import PRISM, SPEC, write_patched


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def prism(tmp_path_factory):
    """Base URL of a Prism mock of api.twilio.com (request validation on, dynamic answers)."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed: the Twilio contract tests need Prism (npm)")
    if not PRISM.exists() or not SPEC.exists():
        pytest.skip("Prism or Twilio's OpenAPI description missing: run `npm ci --prefix tests/contract`")
    spec = write_patched(tmp_path_factory.mktemp("twilio-oai") / "twilio_api_v2010.json")
    port = _free_port()
    log = (tmp_path_factory.getbasetemp() / "prism.log").open("w")
    # -d: generated answers, so every message gets its own SID (the examples repeat one).
    proc = subprocess.Popen([str(PRISM), "mock", str(spec), "-p", str(port), "-h", "127.0.0.1", "-d"],
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"prism exited with {proc.returncode}: see {log.name}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("prism did not start within 90 s")
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()

"""Fixtures for the hardening tests: logs as parsed JSON, a signed-in staff client,
and the TwiML checker every webhook answer here goes through."""
from __future__ import annotations

import json
import os

import pytest
from hypothesis import settings
from sqlmodel import select

from app.db import session_scope
from app.learning.sessions import complete_session
from app.models import Learner
from tests.factories import cohort, make_learners, make_module

STAFF_PASSWORD = "correct horse battery staple"

# In CI the examples are the same every run (a red build is then reproducible, and never
# a new random find in someone else's submission); locally every run explores new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
# scripts/fuzz: new random inputs every run, and a failure prints the blob that replays it.
settings.register_profile("fuzz", print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
elif os.environ.get("FUZZ_EXAMPLES"):
    settings.load_profile("fuzz")


@pytest.fixture
def json_logs(capsys):
    """Call to get the JSON log lines written to stderr so far (Saathi logs JSON by default)."""

    def read() -> list[dict]:
        lines = []
        for line in capsys.readouterr().err.splitlines():
            if line.startswith("{"):
                lines.append(json.loads(line))
        return lines

    return read


@pytest.fixture
def learning(app, db, clock):
    """Two learners (Asha, Ravi) whose post-session quiz is queued."""
    module = make_module(db)
    make_learners(db, clock.now())
    complete_session(db=db, cohort=cohort(db), module=module, held_at=clock.now(), now=clock.now())
    db.commit()
    return list(db.exec(select(Learner).order_by(Learner.id)).all())


def sign_in(client, app, *, email="admin@example.org", role="admin"):
    """Create a staff user through the domain code and sign in through the login form."""
    from app.web.auth.accounts import create_user

    with app.app_context(), session_scope(app) as dbs:
        create_user(db=dbs, email=email, role=role, password=STAFF_PASSWORD)
    response = client.post("/login", data={"email": email, "password": STAFF_PASSWORD})
    assert response.status_code == 302, response.data[:500]
    return response


def pytest_sessionfinish(session):
    """``scripts/fuzz`` reads how many inputs each target really drove (tests/hardening/fuzz.py)."""
    from tests.hardening import fuzz

    if os.environ.get("FUZZ_REPORT"):
        fuzz.write_report(os.environ["FUZZ_REPORT"])

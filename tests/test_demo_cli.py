"""``saathi demo``: what a newcomer gets from ./scripts/dev, sign-ins included."""
from __future__ import annotations

import re

from sqlmodel import select

from app import create_app
from app.models import Learner, TrainingSession, User


def test_demo_loads_learners_sessions_and_staff_who_can_sign_in(app_config, monkeypatch):
    monkeypatch.delenv("SAATHI_DEMO_PASSWORD", raising=False)
    app = create_app({**app_config, "WTF_CSRF_ENABLED": False})
    runner = app.test_cli_runner()
    assert runner.invoke(args=["content", "import"]).exit_code == 0
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "9 new learners, 2 sessions held" in first.output
    (password,) = set(re.findall(r"demo sign-in: \S+ \(\w+\) password (\S+)", first.output))
    assert len(password) >= 12
    again = runner.invoke(args=["demo"])
    assert "0 new learners, 0 sessions held" in again.output and "exist already" in again.output
    with app.app_context():
        from app.db import session_scope

        with session_scope() as db:
            assert len(db.exec(select(Learner)).all()) == 9
            assert len(db.exec(select(TrainingSession)).all()) == 2
            assert {u.role for u in db.exec(select(User)).all()} == {"admin", "trainer", "supervisor"}
    client = app.test_client()
    response = client.post("/login", data={"email": "supervisor@demo.saathi", "password": password})
    assert response.status_code == 302
    assert "Oslo" in client.get("/", follow_redirects=True).get_data(as_text=True)
    app.extensions["saathi.engine"].dispose()


def test_demo_refuses_to_run_in_production(app_config):
    app = create_app({**app_config, "ENV": "production", "SECRET_KEY": "x" * 32})
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code != 0 and "development machines" in result.output
    app.extensions["saathi.engine"].dispose()

"""Shared fixtures: an app on a fresh, migrated database (SQLite, or PostgreSQL when
TEST_DATABASE_URL is set), a frozen clock, and the usual client/runner."""
from __future__ import annotations

import copy
import os
import shutil
import sqlite3
from contextlib import closing
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

from app import create_app, migrate
from app.clock import FrozenClock
from app.db import make_engine

# A Monday, 09:30 in India: inside every default send window.
START = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)
AUTH_TOKEN = "test-auth-token"
PUBLIC_URL = "http://saathi.test"


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory):
    """Migrate once per run: a template SQLite file, or the PostgreSQL test database."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        migrate.upgrade(url)
        return {"url": url, "template": None}
    template = tmp_path_factory.mktemp("template") / "template.db"
    migrate.upgrade(f"sqlite:///{template}")
    return {"url": None, "template": template}


def empty_database(migrated_database, path) -> str:
    """The URL of an empty, migrated database: the PostgreSQL one emptied, or a copy of
    the SQLite template at ``path``. Stateful fuzz tests call it once per example."""
    if migrated_database["url"]:
        url = migrated_database["url"]
        engine = make_engine(url)
        tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return url
    shutil.copy(migrated_database["template"], path)
    return f"sqlite:///{path}"


class Seeded:
    """Seeded databases made once per run and copied into each test's own (SQLite only).

    A world of sites, learners, sessions and answers built through the domain code costs a
    test more than the test itself; the same world is the same rows each time, so the first
    test to ask builds it and saves its database, and the others get a copy (SQLite's backup
    API, which carries what the WAL holds) and the ids it returned. On PostgreSQL every test
    builds its own. ``key`` names the world and every setting that shapes it.
    """

    def __init__(self, folder):
        self.folder, self.made = folder, {}

    def get(self, app, key, build):
        if self.folder is None:
            return build()
        path = app.config["DATABASE_URL"].removeprefix("sqlite:///")
        if key in self.made:
            saved, value = self.made[key]
            app.extensions["saathi.engine"].dispose()  # no connection holds the old file's pages
            _copy_sqlite(saved, path)
            return copy.deepcopy(value)
        value = build()
        app.extensions["saathi.engine"].dispose()
        saved = self.folder / f"seeded-{len(self.made)}.db"
        _copy_sqlite(path, saved)
        self.made[key] = (saved, copy.deepcopy(value))
        return value


def _copy_sqlite(source, target) -> None:
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def config_key(name: str, config: dict) -> tuple:
    """``name`` and the settings of ``config`` that shape a seeded world (not its paths or clock)."""
    per_test = ("DATABASE_URL", "CONTENT_DIR", "CLOCK")
    return (name, *sorted((k, repr(v)) for k, v in config.items() if k not in per_test))


@pytest.fixture(scope="session")
def seeded(migrated_database, tmp_path_factory) -> Seeded:
    return Seeded(None if migrated_database["url"] else tmp_path_factory.mktemp("seeded"))


@pytest.fixture
def database_url(migrated_database, tmp_path):
    return empty_database(migrated_database, tmp_path / "saathi.db")


@pytest.fixture
def clock():
    return FrozenClock(START)


@pytest.fixture
def app_config(database_url, clock, tmp_path):
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "CLOCK": clock,
        "SECRET_KEY": "test-secret",
        "PUBLIC_URL": PUBLIC_URL,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM": "+15005550006",
        "SEGMENTS_PER_SECOND": 0,  # no pacing in tests; tests/test_throttle.py covers it
        # The policy the tests were written against (three prompts a day, one reminder),
        # pinned so they test the mechanisms whatever the shipped defaults (docs/learning.md).
        "DESIRED_RETENTION": 0.85,
        "DAILY_CAP": 3,
        "REMINDERS": 1,
    }


@pytest.fixture
def app(app_config):
    app = create_app(app_config)
    yield app
    app.extensions["saathi.engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    """The test's own session, inside an app context, committed at the end of the test.

    On SQLite it reads without taking the write lock (unlike the app's sessions), so a
    test may look at the database between dispatch passes without blocking them.
    """
    from sqlmodel import Session

    engine = make_engine(app.config["DATABASE_URL"], sqlite_immediate=False)
    with app.app_context(), Session(engine, expire_on_commit=False) as dbs:
        yield dbs
        dbs.commit()
    engine.dispose()


def sign(url: str, params: dict) -> str:
    from twilio.request_validator import RequestValidator

    return RequestValidator(AUTH_TOKEN).compute_signature(url, params)


@pytest.fixture
def twilio_post(client):
    """POST form ``params`` to ``path`` signed as Twilio signs it (against PUBLIC_URL)."""

    def post(path: str, params: dict, *, signature: str | None = None):
        headers = {"X-Twilio-Signature": signature if signature is not None else sign(PUBLIC_URL + path, params)}
        return client.post(path, data=params, headers=headers)

    return post


@pytest.fixture
def fake_twilio():
    """A Twilio-compatible API on 127.0.0.1 (scripts/fake_twilio.py), started for one test."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
    from fake_twilio import FakeTwilio

    with FakeTwilio(auth_token=AUTH_TOKEN) as fake:
        yield fake


@pytest.fixture
def live_app(app_config, fake_twilio):
    """The app served over real HTTP on 127.0.0.1, sending through the real twilio client
    to the fake API, which calls its status webhooks back on the public URL."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, None, threaded=True)
    port = server.socket.getsockname()[1]
    app = create_app({**app_config, "TRANSPORT": "twilio", "TWILIO_ACCOUNT_SID": fake_twilio.account_sid,
                      "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_API_BASE": fake_twilio.base_url,
                      "TWILIO_TIMEOUT": 2, "PUBLIC_URL": f"http://127.0.0.1:{port}"})
    server.app = app
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app
    server.shutdown()
    app.extensions["saathi.engine"].dispose()

"""A real Saathi server on 127.0.0.1 and a headless Chromium (Debian's, never a download).

The server is werkzeug's, in a thread, on the test database (a SQLite file, or
TEST_DATABASE_URL) with the frozen clock: Monday 09:30 in Mumbai, inside the send window.
Screenshots go to ``test-artifacts/``.
"""
from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import create_app
from app.config import REPO_ROOT
from app.db import session_scope
from app.people.learners import import_learners
from app.people.sites import add_site
from app.web.auth.accounts import create_user

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = REPO_ROOT / "test-artifacts"
PASSWORD = "correct horse battery"
LEARNERS = """phone,name,site,language,cohort
+919820000001,Asha Devi,Andheri Mall,hi,andheri-housekeeping
+919820000003,Sunita Patil,Andheri Mall,en,andheri-housekeeping
+4791000001,Amina Yusuf,Oslo Læringssenter,nb,oslo-jobbklar
"""


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium); browser tests need it")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def server(app_config, tmp_path, monkeypatch, clock):
    """Saathi served over HTTP with CSRF on, seeded with sites, learners and three staff users."""
    monkeypatch.setenv("SAATHI_INSTANCE_PATH", str(tmp_path / "instance"))
    content = tmp_path / "content"
    shutil.copytree(REPO_ROOT / "content", content)
    app = create_app({**app_config, "CONTENT_DIR": str(content), "TESTING": False})
    with app.app_context(), session_scope(app) as db:
        add_site(db=db, name="Andheri Mall", country="IN")
        add_site(db=db, name="Oslo Læringssenter", country="NO")
        report = import_learners(db=db, csv_text=LEARNERS, now=clock.now())
        assert not report.errors, report.errors
        create_user(db=db, email="admin@saathi.test", role="admin", password=PASSWORD, name="Anil")
        create_user(db=db, email="trainer@saathi.test", role="trainer", password=PASSWORD, name="Priya",
                    site_names=["Andheri Mall"])
        create_user(db=db, email="supervisor@saathi.test", role="supervisor", password=PASSWORD,
                    name="Farah", site_names=["Andheri Mall"])
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    app.config["BASE"] = f"http://127.0.0.1:{http.server_port}"
    yield app
    http.shutdown()
    thread.join(timeout=10)
    app.extensions["saathi.engine"].dispose()


@pytest.fixture
def page(chromium, server):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.base = server.config["BASE"]
    page.js_errors = errors
    yield page
    context.close()


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page, email: str) -> None:
    page.goto(page.base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form:has(input[name=password]) [type=submit]")
    page.wait_for_url(page.base + "/")


def sign_out(page) -> None:
    page.click("text=Sign out")
    page.wait_for_url("**/login")

"""Fixtures for the staff web app: an app with its own instance and content folders, and a
small world of two sites (Andheri in India, Oslo in Norway) seeded through the domain code:
learners imported from CSV, a session held per cohort, quizzes answered over "SMS"."""
from __future__ import annotations

import re
import shutil
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from app import create_app
from app.config import REPO_ROOT
from app.db import session_scope
from app.learning.inbound import receive_sms
from app.learning.sessions import complete_session
from app.models import Cohort, Feedback, ImpactPage, Learner, TrainingSession
from app.people.learners import import_learners
from app.people.sites import add_site
from app.scheduling.dispatcher import dispatch_once
from app.web.auth.accounts import create_user
from tests.conftest import config_key
from tests.factories import app_policy as _policy
from tests.factories import make_module
from tests.mentoring_data import seed_mentoring

PASSWORD = "correct horse battery"
# 14:30 in Mumbai, 10:00 in Oslo: inside both sites' send windows.
WORLD_START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WORLD_CSV = """phone,name,site,language,cohort
+919876543210,Asha Devi,Andheri Mall,en,andheri-march
+919876543211,Ravi Kumar,Andheri Mall,hi,andheri-march
+4791000001,Amina Yusuf,Oslo Læringssenter,en,oslo-mars
+4791000002,Tesfaye Bekele,Oslo Læringssenter,en,oslo-mars
"""
# Each learner's replies: three quiz answers (right: 2, 2, 1), a rating, a comment.
REPLIES = {
    "+919876543210": ["2", "2", "1", "5", "Very useful, thank you"],
    "+919876543211": ["1", "2", "3", "2", "Too fast for me"],
    "+4791000001": ["2", "1", "1", "4", "Oslo secret comment"],
    "+4791000002": ["2", "2", "1", "1", "0"],
}


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """Hashing at production cost would be most of each test's time."""
    from app.web.auth import accounts

    monkeypatch.setattr(accounts, "HASH_METHOD", "pbkdf2:sha256:1000")


@pytest.fixture
def web_config(app_config, tmp_path, monkeypatch):
    """The shared test config, plus a private instance folder and a copy of the shipped packs."""
    monkeypatch.setenv("SAATHI_INSTANCE_PATH", str(tmp_path / "instance"))
    content = tmp_path / "content"
    shutil.copytree(REPO_ROOT / "content", content)
    return {**app_config, "WTF_CSRF_ENABLED": False, "CONTENT_DIR": str(content)}


@pytest.fixture
def web_app(web_config):
    app = create_app(web_config)
    yield app
    app.extensions["saathi.engine"].dispose()


@pytest.fixture
def csrf_app(web_config):
    """The app as deployed: every form needs its CSRF token."""
    app = create_app({**web_config, "WTF_CSRF_ENABLED": True})
    yield app
    app.extensions["saathi.engine"].dispose()


@dataclass
class World:
    ids: dict = field(default_factory=dict)

    def __getattr__(self, name):
        try:
            return self.__dict__["ids"][name]  # not self.ids: a copy being made has no ids yet
        except KeyError:
            raise AttributeError(name) from None


@contextmanager
def app_db(app):
    """A committed-on-exit session inside an app context (the engine needs the app's policy)."""
    with app.app_context(), session_scope(app) as db:
        yield db


def say(db, phone: str, body: str, now) -> str:
    reply = receive_sms(db=db, sid="SM" + uuid.uuid4().hex, from_number=phone, body=body, now=now, policy=_policy())
    db.commit()
    return str(reply)


@pytest.fixture
def world(web_app, web_config, clock, seeded) -> World:
    """Two sites with learners, staff, sessions and answers: built once per run, copied after."""
    clock.set(WORLD_START)
    return seeded.get(web_app, config_key("web world", web_config), lambda: build_world(web_app, clock))


def build_world(web_app, clock) -> World:
    w = World()
    with web_app.app_context():
        with session_scope(web_app) as db:
            andheri = add_site(db=db, name="Andheri Mall", country="IN")
            oslo = add_site(db=db, name="Oslo Læringssenter", country="NO")
            module = make_module(db)
            report = import_learners(db=db, csv_text=WORLD_CSV, now=clock.now())
            assert not report.errors, report.errors
            sessions = {}
            for name in ("andheri-march", "oslo-mars"):
                cohort = db.exec(select(Cohort).where(Cohort.name == name)).one()
                sessions[name] = complete_session(db=db, cohort=cohort, module=module, held_at=clock.now(),
                                                  now=clock.now()).session.id
            users = {
                "admin": create_user(db=db, email="admin@saathi.test", role="admin", password=PASSWORD),
                "trainer_a": create_user(db=db, email="trainer.a@saathi.test", role="trainer", password=PASSWORD,
                                         site_names=["Andheri Mall"], name="Priya"),
                "supervisor_a": create_user(db=db, email="sup.a@saathi.test", role="supervisor",
                                            password=PASSWORD, site_names=["Andheri Mall"]),
                "supervisor_b": create_user(db=db, email="sup.b@saathi.test", role="supervisor",
                                            password=PASSWORD, site_names=["Oslo Læringssenter"]),
                "trainer_b": create_user(db=db, email="trainer.b@saathi.test", role="trainer", password=PASSWORD,
                                         site_names=["Oslo Læringssenter"]),
            }
            # Andheri's public impact page is on, in every language (the language pages test it).
            db.add(ImpactPage(site_id=andheri.id, enabled=True, slug="andheri", languages=""))
            w.ids.update(site_a=andheri.id, site_b=oslo.id, module=module.id, session_a=sessions["andheri-march"],
                         session_b=sessions["oslo-mars"], **{k: u.id for k, u in users.items()},
                         **{f"email_{k}": u.email for k, u in users.items()})
        stats = dispatch_once(app=web_app)
        assert stats.delivery.sent == 4, stats
        with session_scope(web_app) as db:
            for phone, replies in REPLIES.items():
                for body in replies:
                    say(db, phone, body, clock.now())
            learners = {l.phone: l for l in db.exec(select(Learner)).all()}
            w.ids.update(asha=learners["+919876543210"].id, ravi=learners["+919876543211"].id,
                         amina=learners["+4791000001"].id, tesfaye=learners["+4791000002"].id,
                         cohort_a=learners["+919876543210"].cohort_id, cohort_b=learners["+4791000001"].cohort_id)
            feedback = db.exec(select(Feedback).order_by(Feedback.id)).all()
            w.ids["feedback_b"] = next(f.id for f in feedback if f.comment == "Oslo secret comment")
            w.ids["feedback_a"] = next(f.id for f in feedback if f.comment == "Very useful, thank you")
            assert db.exec(select(TrainingSession)).all()
            w.ids.update(seed_mentoring(db, andheri=andheri, oslo=oslo, now=clock.now()))
    return w


def login(client, email: str, password: str = PASSWORD, follow: bool = False):
    return client.post("/login", data={"email": email, "password": password}, follow_redirects=follow)


@pytest.fixture
def as_user(web_app, world):
    """``as_user("supervisor_a")``: a test client signed in as that world user."""

    def make(name: str):
        client = web_app.test_client()
        response = login(client, world.ids[f"email_{name}"])
        assert response.status_code == 302, response.data[:500]
        return client

    return make


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or \
        re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)

"""Fixtures for the JSON API: two sites (Andheri in India, Oslo in Norway), each with a
cohort of two learners who sat a session and answered its quiz, rating and comment by
"SMS" through the real engine; staff users of every role holding API tokens."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from app.db import session_scope
from app.learning.inbound import receive_sms
from app.learning.sessions import complete_session
from app.models import Cohort, Feedback, Learner, Site, User, UserSite
from app.people.learners import import_learners
from app.people.sites import add_site
from app.scheduling.dispatcher import dispatch_once
from app.web.api.auth import issue_token
from tests.conftest import config_key
from tests.factories import app_policy as _policy
from tests.factories import make_module
from tests.mentoring_data import seed_mentoring

# 14:30 in Mumbai, 10:00 in Oslo: inside both sites' send windows.
WORLD_START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SITE_A, SITE_B = "Andheri Mall", "Oslo Læringssenter"
LEARNERS_CSV = f"""phone,name,site,language,cohort
+919876543210,Asha Devi,{SITE_A},en,andheri-march
+919876543211,Ravi Kumar,{SITE_A},hi,andheri-march
+4791000001,Amina Yusuf,{SITE_B},en,oslo-mars
+4791000002,Tesfaye Bekele,{SITE_B},en,oslo-mars
"""
# Three quiz answers (right: 2, 2, 1), a rating, a comment.
REPLIES = {
    "+919876543210": ["2", "2", "1", "5", "Very useful, thank you"],
    "+919876543211": ["1", "2", "3", "2", "Too fast for me"],
    "+4791000001": ["2", "1", "1", "4", "Oslo secret comment"],
    "+4791000002": ["2", "2", "1", "1", "0"],
}
# name: (role, sites)
STAFF = {
    "admin": ("admin", []),
    "trainer_a": ("trainer", [SITE_A]),
    "supervisor_a": ("supervisor", [SITE_A]),
    "trainer_b": ("trainer", [SITE_B]),
    "supervisor_b": ("supervisor", [SITE_B]),
    "disabled": ("supervisor", [SITE_A]),
}
ROLES = ("admin", "trainer_a", "supervisor_a")


@dataclass
class World:
    ids: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)

    def __getattr__(self, name):
        try:
            return self.__dict__["ids"][name]  # not self.ids: a copy being made has no ids yet
        except KeyError:
            raise AttributeError(name) from None


def _staff(db, name: str, role: str, site_names: list[str]) -> User:
    # Built from the model directly: the API must not depend on how the web UI creates accounts.
    user = User(email=f"{name}@saathi.test", name=name, role=role, password_hash="!")
    db.add(user)
    db.flush()
    for site_name in site_names:
        site = db.exec(select(Site).where(Site.name == site_name)).one()
        db.add(UserSite(user_id=user.id, site_id=site.id))
    db.flush()
    return user


@pytest.fixture
def world(app, app_config, clock, seeded) -> World:
    """Two sites, staff with tokens, sessions and answers: built once per run, copied after."""
    assert "api" in app.blueprints, "app.web.register_blueprints does not register app.web.api"
    clock.set(WORLD_START)
    return seeded.get(app, config_key("api world", app_config), lambda: build_world(app, clock))


def build_world(app, clock) -> World:
    w = World()
    with app.app_context():
        with session_scope(app) as db:
            site_a = add_site(db=db, name=SITE_A, country="IN")
            site_b = add_site(db=db, name=SITE_B, country="NO")
            module = make_module(db)
            report = import_learners(db=db, csv_text=LEARNERS_CSV, now=clock.now())
            assert not report.errors, report.errors
            for key, cohort_name in (("a", "andheri-march"), ("b", "oslo-mars")):
                cohort = db.exec(select(Cohort).where(Cohort.name == cohort_name)).one()
                done = complete_session(db=db, cohort=cohort, module=module, held_at=clock.now(), now=clock.now())
                w.ids[f"cohort_{key}"], w.ids[f"session_{key}"] = cohort.id, done.session.id
            for name, (role, sites) in STAFF.items():
                user = _staff(db, name, role, sites)
                w.ids[name] = user.id
                w.tokens[name] = issue_token(db=db, user=user)
            db.get(User, w.disabled).active = False
            w.ids.update(site_a=site_a.id, site_b=site_b.id, module=module.id, module_key=module.key)
            w.ids.update(seed_mentoring(db, andheri=site_a, oslo=site_b, now=clock.now()))
        stats = dispatch_once(app=app)
        assert stats.delivery.sent == 4, stats
        with session_scope(app) as db:
            for phone, replies in REPLIES.items():
                for body in replies:
                    receive_sms(db=db, sid="SM" + uuid.uuid4().hex, from_number=phone, body=body, now=clock.now(), policy=_policy())
            learners = {learner.phone: learner.id for learner in db.exec(select(Learner)).all()}
            w.ids.update(asha=learners["+919876543210"], ravi=learners["+919876543211"],
                         amina=learners["+4791000001"], tesfaye=learners["+4791000002"])
            comments = {f.comment: f.id for f in db.exec(select(Feedback)).all() if f.comment}
            w.ids.update(feedback_a=comments["Very useful, thank you"], feedback_b=comments["Oslo secret comment"])
    return w


class ApiClient:
    """The Flask test client, sending one user's token (or ``token=`` as given)."""

    def __init__(self, client, token: str | None):
        self.client, self.token = client, token

    def request(self, method: str, path: str, **kwargs):
        headers = dict(kwargs.pop("headers", None) or {})
        if self.token is not None:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        return self.client.open("/api/v1" + path, method=method, headers=headers, **kwargs)

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs):
        return self.request("POST", path, **kwargs)


@pytest.fixture
def api(client, world):
    """``api("supervisor_a").get("/learners")``; ``api(None)`` sends no token."""

    def make(name: str | None, *, token: str | None = None) -> ApiClient:
        return ApiClient(client, token if token is not None else (world.tokens[name] if name else None))

    return make

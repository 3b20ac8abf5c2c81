"""``saathi demo``: what a newcomer sees after ./scripts/dev, and the sign-ins that get them in."""
from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func
from sqlmodel import select

from app import create_app
from app.config import ConfigError
from app.db import session_scope
from app.models import Answer, Card, Feedback, Learner, Site, TrainingSession, User

# A Wednesday in the middle of a month, 12:00 UTC: both sites inside their send windows,
# and the month far enough along for "learners of the month" to mean something.
NOW = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    from app.web.auth import accounts

    monkeypatch.setattr(accounts, "HASH_METHOD", "pbkdf2:sha256:1000")


@pytest.fixture
def demo_app(app_config, clock, tmp_path, monkeypatch):
    monkeypatch.delenv("SAATHI_DEMO_PASSWORD", raising=False)
    monkeypatch.setenv("SAATHI_INSTANCE_PATH", str(tmp_path / "instance"))
    clock.set(NOW)
    app = create_app({**app_config, "WTF_CSRF_ENABLED": False, "DEMO": 1})
    assert app.test_cli_runner().invoke(args=["content", "import"]).exit_code == 0
    yield app
    app.extensions["saathi.engine"].dispose()


def _counts(app) -> dict:
    with app.app_context(), session_scope() as db:
        count = lambda model, *where: db.exec(select(func.count(model.id)).where(*where)).one()
        return {"sites": count(Site), "learners": count(Learner), "sessions": count(TrainingSession),
                "answers": count(Answer), "reviews": count(Answer, Answer.kind == "review"),
                "wrong": count(Answer, Answer.correct.is_(False)), "by voice": count(Answer, Answer.channel == "voice"),
                "cards": count(Card), "ratings": count(Feedback, Feedback.rating.is_not(None)),
                "comments": count(Feedback, Feedback.comment.is_not(None)),
                "testimonials": count(Feedback, Feedback.testimonial, Feedback.consent_at.is_not(None)),
                "opted out": count(Learner, Learner.status == "opted_out"),
                "held in the past": count(TrainingSession, TrainingSession.held_at < NOW),
                "staff": count(User)}


def _sign_in(app, email: str, password: str):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, email
    return client


def _site_ids(app) -> dict[str, int]:
    with app.app_context(), session_scope() as db:
        return {site.name: site.id for site in db.exec(select(Site)).all()}


def _reviews_by_days(html: str) -> dict[str, int]:
    """The retention table of a site page: reviews per "days since the session" bucket."""
    rows = re.findall(r"<tr><td>(\d+(?:-\d+|\+))</td><td class=\"num\">([\d,]+)</td>", html)
    return {label: int(n.replace(",", "")) for label, n in rows}


def test_demo_tells_a_story_of_weeks_once_and_each_supervisor_sees_their_site(demo_app):
    first = demo_app.test_cli_runner().invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "2 sites, 34 new learners, 12 sessions" in first.output
    (password,) = set(re.findall(r"demo sign-in: \S+ \(\w+\) password (\S+)", first.output))
    assert len(password) >= 12
    made = _counts(demo_app)
    assert made["sites"] == 2 and made["learners"] == 34 and made["staff"] == 4
    assert made["sessions"] == 12 and made["held in the past"] == 10  # two held "now", for the worker
    assert made["answers"] > 500 and made["reviews"] > 200 and made["wrong"] > 50 and made["by voice"] > 20
    assert made["ratings"] > 40 and made["comments"] > 5 and made["testimonials"] == 2
    assert made["opted out"] == 3 and made["cards"] > 200

    again = demo_app.test_cli_runner().invoke(args=["demo"])
    assert again.exit_code == 0, again.output
    assert "0 new learners, history exists already" in again.output
    assert f"password {password}" in again.output
    assert _counts(demo_app) == made

    sites = _site_ids(demo_app)
    pune, hamar = sites["Pune Hinjewadi"], sites["Hamar Læringssenter"]
    priya = _sign_in(demo_app, "supervisor.pune@demo.saathi", password)
    home = priya.get("/").get_data(as_text=True)
    assert "Pune Hinjewadi" in home and "Hamar" not in home
    page = priya.get(f"/sites/{pune}").get_data(as_text=True)
    reviews = _reviews_by_days(page)
    assert set(reviews) == {"1-2", "3-6", "7-13", "14-29", "30-59", "60+"}
    assert sum(reviews.values()) > 200 and sum(1 for n in reviews.values() if n >= 20) >= 3  # a curve, not a dot
    assert "Hamar" not in page and "Tesfaye" not in page
    recognition = priya.get(f"/sites/{pune}/recognition").get_data(as_text=True)
    assert "Asha Devi" in recognition or "Sunita Patil" in recognition or "Vikram Chavan" in recognition
    assert "Amina" not in recognition
    assert priya.get(f"/sites/{hamar}").status_code == 404
    assert "Last week a caller asked for my OTP" in priya.get(f"/sites/{pune}/testimonials").get_data(as_text=True)
    weekly = priya.get(f"/sites/{pune}/reports/weekly.csv", query_string={"period": "2026-03-09"})
    assert weekly.status_code == 200 and "pune-housekeeping" in weekly.get_data(as_text=True)

    ingrid = _sign_in(demo_app, "supervisor.hamar@demo.saathi", password)
    home = ingrid.get("/").get_data(as_text=True)
    assert "Hamar Læringssenter" in home and "Pune" not in home
    recognition = ingrid.get(f"/sites/{hamar}/recognition").get_data(as_text=True)
    assert "Amina Yusuf" in recognition or "Kari Bakken" in recognition
    assert ingrid.get(f"/sites/{pune}/recognition").status_code == 404
    outcomes = ingrid.get("/journeys").get_data(as_text=True)
    assert "80 % innen 6 måneder" in outcomes and "Pune" not in outcomes  # Ingrid reads Norwegian
    placed = ingrid.get("/journeys/learners", query_string={"site": hamar, "which": "in_work"}).get_data(as_text=True)
    assert "Amina Yusuf" in placed and "Piotr Nowak" not in placed
    mentoring = ingrid.get("/mentoring/").get_data(as_text=True)
    assert "Hilde Brekke" in mentoring and "Svitlana Marchenko" in mentoring and "Rohit Joshi" not in mentoring
    assert "2 / 150" in mentoring  # pairs started this year (on the test clock, 2 March) against the target
    assert "Førerkort tatt" in outcomes  # Hamar's own milestone beside the built-in ones
    public = demo_app.test_client().get("/impact/hamar").get_data(as_text=True)  # no sign-in
    assert "Med egne ord" in public and "Amina" not in public and 'lang="nb"' in public
    assert '<span class="value">5</span><span class="label">I arbeid' in public


def test_the_sign_in_page_lists_the_demo_sign_ins_in_demo_mode_only(demo_app, app_config):
    """The accounts as ``saathi demo`` makes them (without the weeks of history, for speed)."""
    from app.demo import accounts, programme
    from app.people.sites import add_site

    with demo_app.app_context(), session_scope() as db:
        for site in programme.SITES:
            add_site(db=db, name=site.name, country=site.country, timezone=site.timezone)
        lines = accounts.ensure_staff(db=db, instance_path=demo_app.instance_path)
    (password,) = set(re.findall(r"password (\S+)", "\n".join(lines)))
    client = demo_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    for email in ("admin@demo.saathi", "trainer@demo.saathi", "supervisor.pune@demo.saathi",
                  "supervisor.hamar@demo.saathi"):
        assert email in page
    assert password in page and "Priya Deshmukh" in page and "Pune Hinjewadi" in page
    assert "Demo sign-ins" in page
    client.post("/language", data={"language": "nb"})
    page = client.get("/login").get_data(as_text=True)
    assert "Demopålogginger" in page and "Passord for alle:" in page and password in page
    _sign_in(demo_app, "trainer@demo.saathi", password)

    plain = create_app({**app_config, "WTF_CSRF_ENABLED": False})  # same database and instance, no SAATHI_DEMO
    page = plain.test_client().get("/login").get_data(as_text=True)
    assert "demo.saathi" not in page and password not in page and "Demo sign-ins" not in page
    plain.extensions["saathi.engine"].dispose()


def test_demo_mode_is_refused_in_production(app_config):
    with pytest.raises(ConfigError, match="SAATHI_DEMO"):
        create_app({**app_config, "ENV": "production", "SECRET_KEY": "x" * 32, "DEMO": "1"})


def test_demo_refuses_to_run_in_production(app_config):
    app = create_app({**app_config, "ENV": "production", "SECRET_KEY": "x" * 32})
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code != 0 and "development machines" in result.output
    app.extensions["saathi.engine"].dispose()

"""Outcomes against targets: per site and cohort, the learners behind each number a click away."""
from __future__ import annotations

from datetime import date

from app.journeys.steps import record_step
from app.journeys.targets import set_target, tallies
from app.models import JourneyTarget, Learner, Site
from tests.web.conftest import app_db


def seed(web_app, world, clock):
    """Asha: graduated in 2025, contract within 6 months; Ravi: graduated, still looking;
    Amina (Oslo): graduated a month ago (her six months have not passed)."""
    with app_db(web_app) as db:
        asha, ravi, amina = (db.get(Learner, i) for i in (world.asha, world.ravi, world.amina))
        record_step(db=db, learner=asha, stage="graduated", starts_on=date(2025, 6, 1), now=clock.now())
        record_step(db=db, learner=asha, stage="outcome", kind="contract", starts_on=date(2025, 9, 1), now=clock.now())
        record_step(db=db, learner=ravi, stage="graduated", starts_on=date(2025, 6, 1), now=clock.now())
        record_step(db=db, learner=ravi, stage="outcome", kind="looking", starts_on=date(2025, 9, 1), now=clock.now())
        record_step(db=db, learner=amina, stage="graduated", starts_on=date(2026, 2, 1), now=clock.now())
        set_target(db=db, site=db.get(Site, world.site_a), now=clock.now(), share_in_work=0.8, within_months=6,
                   graduates_per_year=100)


def test_each_site_and_cohort_against_its_target(web_app, world, clock):
    seed(web_app, world, clock)
    with app_db(web_app) as db:
        rows = {(r.site.name, r.cohort.name if r.cohort else None): r
                for r in tallies(db=db, site_ids=None, today=clock.now().date())}
        andheri = rows[("Andheri Mall", None)]
        assert {w: len(ids) for w, ids in andheri.learners.items()} == {"graduated": 2, "due": 2, "in_work": 1}
        assert andheri.share == 0.5 and andheri.target.share_in_work == 0.8
        assert rows[("Andheri Mall", "andheri-march")].learners["in_work"] == {world.asha}
        oslo = rows[("Oslo Læringssenter", None)]
        assert (len(oslo.learners["graduated"]), len(oslo.learners["due"]), oslo.share, oslo.target) == (1, 0, None, None)


def test_the_page_stays_inside_the_supervisors_sites_and_links_to_the_learners(web_app, as_user, world, clock):
    seed(web_app, world, clock)
    client = as_user("supervisor_a")
    page = client.get("/journeys").data.decode()
    assert "Andheri Mall" in page and "Oslo" not in page and "80 % within 6 months" in page and "/ 100" in page
    listed = client.get(f"/journeys/learners?site={world.site_a}&which=in_work").data.decode()
    assert "Asha Devi" in listed and "Ravi Kumar" not in listed
    assert client.get(f"/journeys/learners?site={world.site_b}&which=graduated").status_code == 404
    assert "Amina Yusuf" in as_user("admin").get(f"/journeys/learners?site={world.site_b}&which=graduated").data.decode()


def test_targets_from_the_command_line(web_app, world):
    runner = web_app.test_cli_runner()
    result = runner.invoke(args=["journeys", "target", "Andheri Mall", "--share", "80", "--months", "6"])
    assert result.exit_code == 0, result.output
    assert "Andheri Mall: 80% within 6 months, - graduates a year" in result.output
    result = runner.invoke(args=["journeys", "target", "Andheri Mall", "--graduates", "500"])
    assert "80% within 6 months, 500 graduates a year" in result.output
    with app_db(web_app) as db:
        assert db.get(JourneyTarget, world.site_a).graduates_per_year == 500
    assert runner.invoke(args=["journeys", "target", "Nowhere", "--share", "5"]).exit_code != 0

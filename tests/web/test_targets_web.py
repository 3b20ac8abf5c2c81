"""Targets set on the web (admins; supervisors for their own sites) and the over-time view:
the outcomes as they stood at each month's end, each number linking to its learners."""
from __future__ import annotations

from datetime import date

from app.models import JourneyTarget
from app.web.journeys.target_views import month_ends
from tests.web.conftest import app_db, csrf_token
from tests.web.test_journey_targets import seed


def test_month_ends():
    assert month_ends(date(2026, 3, 2), 3) == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 2)]


def test_a_supervisor_sets_the_target_of_their_own_site_only(web_app, world, clock, as_user):
    client = as_user("supervisor_a")
    page = client.get("/journeys").data.decode()
    assert "Set a target" in page and "Oslo" not in page.split("Set a target")[1].split("</form>")[0]
    token = csrf_token(page)
    done = client.post("/journeys/targets", follow_redirects=True,
                       data={"csrf_token": token, "site": world.site_a, "share": "75", "months": "9",
                             "graduates": "40"}).data.decode()
    assert "Target saved." in done and "Over time" in done
    with app_db(web_app) as db:
        target = db.get(JourneyTarget, world.site_a)
        assert (target.share_in_work, target.within_months, target.graduates_per_year) == (0.75, 9, 40)
    refused = client.post("/journeys/targets", data={"csrf_token": token, "site": world.site_b, "share": "10"})
    assert refused.status_code in (302, 404)
    with app_db(web_app) as db:
        assert db.get(JourneyTarget, world.site_b) is None
    assert as_user("trainer_a").post("/journeys/targets", data={"site": world.site_a, "share": "1"}).status_code == 403


def test_over_time_shows_each_month_against_the_target_with_the_learners_behind(web_app, world, clock, as_user):
    seed(web_app, world, clock)  # Asha and Ravi graduated 1 June 2025; Asha in work by September
    client = as_user("supervisor_a")
    page = client.get(f"/journeys/over-time?site={world.site_a}").data.decode()
    assert page.count("<svg class=\"bar\"") == 12
    link = f"/journeys/learners?site={world.site_a}&amp;which=in_work&amp;on=2026-01-31"
    assert link in page
    people = client.get(link.replace("&amp;", "&")).data.decode()
    assert "Asha Devi" in people and "Ravi Kumar" not in people
    before = client.get(f"/journeys/learners?site={world.site_a}&which=due&on=2025-11-30").data.decode()
    assert "Asha Devi" not in before  # six months had not passed by then
    assert as_user("supervisor_b").get(f"/journeys/over-time?site={world.site_a}").status_code == 404

"""The journey path of tests/browser/test_journey_paths.py through the test client (it runs
where no Chromium is installed): graduation, the check-in it queues, a placement at an
employer that is no Saathi site, an outcome, and the outcomes page's numbers moving."""
from __future__ import annotations

import re

from sqlmodel import select

from app.models import JourneyStep


def numbers(client) -> dict[str, str]:
    page = client.get("/journeys").data.decode()
    row = page[page.index("Andheri Mall"):]
    return {which: re.search(rf'data-which="{which}"><a [^>]+>(\d+)</a>', row).group(1)
            for which in ("graduated", "due", "in_work")}


def test_the_path_and_the_numbers(web_app, world, clock, as_user):
    client = as_user("supervisor_a")
    assert numbers(client) == {"graduated": "0", "due": "0", "in_work": "0"}
    url = f"/learners/{world.asha}/journey"
    site = str(world.site_a)
    client.post(url, data={"stage": "graduated", "site": site, "starts_on": "2025-07-15"})
    page = client.get(url).data.decode()
    assert page.count("months after graduating") == 1 and "12 months after graduating" in page
    client.post(url, data={"stage": "placement", "kind": "trial", "site": site, "starts_on": "2025-08-01",
                           "employer": "Hotel Sahara Star"})
    assert "Hotel Sahara Star" in client.get(url).data.decode()
    client.post(url, data={"stage": "outcome", "kind": "contract", "site": site, "starts_on": "2025-11-01"})
    assert numbers(client) == {"graduated": "1", "due": "1", "in_work": "1"}
    from tests.web.conftest import app_db

    with app_db(web_app) as db:
        placement = db.exec(select(JourneyStep).where(JourneyStep.stage == "placement")).one()
        assert (placement.employer, placement.site_id) == ("Hotel Sahara Star", world.site_a)

"""The journey pages, with steps of every stage and kind on them, speak only through the catalogs."""
from __future__ import annotations

import re
from datetime import date

from app.journeys.steps import record_step
from app.journeys.targets import set_target
from app.models import JourneyCheckin, Learner, Site
from app.models.journey import KINDS
from tests.web.conftest import app_db, csrf_token
from tests.web.test_no_english import (  # noqa: F401  (fixtures: the pseudo-locale app)
    SHIPPED,
    choose,
    data_texts,
    leftover_english,
    pseudo_locales,
    pseudo_locales_folder,
    web_config,
)


def every_step(web_app, world, clock) -> None:
    with app_db(web_app) as db:
        asha = db.get(Learner, world.asha)
        for stage in ("enrolled", "training", "graduated"):
            record_step(db=db, learner=asha, stage=stage, starts_on=date(2026, 1, 5), now=clock.now())
        # graduated on 5 January, a month passed: counted in all three numbers
        for stage, kinds in KINDS.items():
            for kind in kinds:
                record_step(db=db, learner=asha, stage=stage, kind=kind, starts_on=date(2026, 2, 1),
                            ends_on=date(2026, 2, 28), note="steady", now=clock.now())
        set_target(db=db, site=db.get(Site, world.site_a), now=clock.now(), share_in_work=0.8, within_months=1,
                   graduates_per_year=10)
        db.add(JourneyCheckin(learner_id=asha.id, months=3, raw="steady", status="unclear", answered_at=clock.now()))


def test_journey_pages_flashes_and_errors_are_translated(web_app, as_user, world, clock):
    every_step(web_app, world, clock)
    client = as_user("admin")
    choose(client, "eo")
    data = [*data_texts(web_app), "steady", "admin@saathi.test"]
    paths = [f"/learners/{world.asha}", f"/learners/{world.asha}/journey", "/journeys/checkins", "/journeys",
             *(f"/journeys/learners?site={world.site_a}&which={w}" for w in ("graduated", "due", "in_work"))]
    for path in paths:
        html = client.get(path).data.decode()
        assert leftover_english(html, data) == [], path
    page = client.get(f"/learners/{world.asha}/journey").data.decode()
    for form in ({"stage": "placement", "kind": "", "starts_on": "2026-02-01", "site": world.site_a},
                 {"stage": "outcome", "kind": "contract", "starts_on": "2027-01-01", "site": world.site_a},
                 {"stage": "outcome", "kind": "contract", "starts_on": "not a day", "site": world.site_a},
                 {"stage": "outcome", "kind": "contract", "starts_on": "2026-02-01", "site": world.site_a}):
        html = client.post(f"/learners/{world.asha}/journey", data={**form, "csrf_token": csrf_token(page)},
                           follow_redirects=True).data.decode()
        assert "⟦" in html and leftover_english(html, data) == [], form
    checkin = client.get("/journeys/checkins").data.decode()
    assert "steady" in checkin
    html = client.post(csrf_action(checkin), data={"csrf_token": csrf_token(checkin)}, follow_redirects=True)
    assert leftover_english(html.data.decode(), data) == []


def csrf_action(page: str) -> str:
    return re.search(r'action="(/journeys/checkins/\d+/resolve)"', page).group(1)


def test_journey_page_renders_in_every_shipped_language(web_app, as_user, world, clock):
    every_step(web_app, world, clock)
    client = as_user("admin")
    for code in SHIPPED:
        choose(client, code)
        for path in (f"/learners/{world.asha}/journey", "/journeys/checkins", "/journeys"):
            html = client.get(path).data.decode()
            assert f'lang="{code}"' in html and "⟦" not in html, (code, path)

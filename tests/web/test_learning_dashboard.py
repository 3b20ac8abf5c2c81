"""The dashboard's measured counterpart of ``saathi simulate``: per cohort, reviews answered
right by days since the session, and SMS segments spent per learner."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import select

from app.models import Answer
from app.scheduling.dispatcher import dispatch_once
from tests.web.conftest import WORLD_START, app_db, say
from tests.web.test_dashboard import text_of


def learning_table(html: str) -> str:
    section = html.split('id="learning"', 1)[1].split("</table>", 1)[0]
    return text_of("<div " + section + "</table>")


def test_site_page_shows_each_cohorts_reviews_by_days_and_segments_per_learner(web_app, as_user, world, clock):
    # Three days after the session the first reviews fall due; both Andheri learners answer "2".
    clock.set(WORLD_START + timedelta(days=4))
    stats = dispatch_once(app=web_app)
    assert stats.delivery.sent >= 2, stats
    with app_db(web_app) as db:
        for phone in ("+919876543210", "+919876543211"):
            say(db, phone, "2", clock.now())
        reviews = db.exec(select(Answer).where(Answer.kind == "review")).all()
        andheri = [a for a in reviews if a.learner_id in (world.asha, world.ravi)]
        right = sum(a.correct for a in andheri)
        from app.reports.learning import spend

        spent = spend(db=db, cohort_id=world.cohort_a)
        per_learner = spent.segments_per_learner
    assert len(andheri) == 2

    table = learning_table(as_user("supervisor_a").get(f"/sites/{world.site_a}").data.decode())
    assert "andheri-march" in table and "oslo-mars" not in table  # the other site's cohort stays hidden
    head, row = table.split("andheri-march", 1)
    assert "Segments per learner" in head and "Day 3-6" in head and "Day 60-89" in head
    cells = row.split()
    assert cells[0] == f"{per_learner:.1f}" and per_learner > 0
    assert "Right reviews per 100 segments" in head and cells[4] == f"{100 * right / spent.segments:.2f}"
    # The quiz (day 0) is not a review; the two reviews sit in the 3-6 day column.
    assert f"{round(100 * right / 2)} % (2)" in row
    assert row.count("(") == 1

    admin = learning_table(as_user("admin").get(f"/sites/{world.site_b}").data.decode())
    assert re.search(r"oslo-mars [\d.]+ \d+ \d+ 0\.0 0\.00 –", admin)  # no reviews yet: dashes, not 0 %

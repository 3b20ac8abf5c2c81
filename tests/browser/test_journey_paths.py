"""The journey paths in a real browser: a supervisor records a graduation (and sees the
check-ins it queued), a placement with an employer that is no Saathi site, an outcome, and
watches the outcomes page's numbers change; a trainer confirms a milestone; the admin turns
the public impact page on, and a stranger reads it without signing in."""
from __future__ import annotations

import pytest

from tests.browser.conftest import shot, sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def andheri_numbers(page) -> dict[str, str]:
    page.goto(page.base + "/journeys")
    row = page.locator("tr.total", has_text="Andheri Mall")
    return {which: row.locator(f"td[data-which={which}]").inner_text().split("/")[0].strip()
            for which in ("graduated", "due", "in_work")}


def record(page, stage: str, starts_on: str, kind: str | None = None, employer: str | None = None) -> None:
    page.select_option("select[name=stage]", stage)
    if kind:
        page.select_option("select[name=kind]", kind)
    page.fill("input[name=starts_on]", starts_on)
    if employer:
        page.fill("input[name=employer]", employer)
    page.click("form [type=submit][name=submit]")
    page.wait_for_selector(".flash-success")


def test_graduation_checkins_placement_outcome_and_the_numbers(page, server):
    sign_in(page, "supervisor@saathi.test")
    assert andheri_numbers(page) == {"graduated": "0", "due": "0", "in_work": "0"}
    page.goto(page.base + "/learners?q=asha")
    page.click("text=Asha Devi")
    page.click("text=Record a step")
    page.wait_for_selector("select[name=stage]")
    # Graduated in mid-July (the clock says 2 March 2026): the 3- and 6-month check-ins are
    # past and not asked late; the 12-month one is queued.
    record(page, "graduated", "2025-07-15")
    checkins = page.inner_text("#checkins + ul")
    assert "12" in checkins and checkins.count("\n") == 0
    shot(page, "supervisor-journey-graduated")
    record(page, "placement", "2025-08-01", kind="trial", employer="Hotel Sahara Star")
    assert "Hotel Sahara Star" in page.inner_text("main table")
    record(page, "outcome", "2025-11-01", kind="contract")
    shot(page, "supervisor-journey-outcome")
    assert andheri_numbers(page) == {"graduated": "1", "due": "1", "in_work": "1"}
    page.click("tr.total td[data-which=in_work] a")
    assert "Asha Devi" in page.inner_text("main")
    sign_out(page)

    sign_in(page, "trainer@saathi.test")
    page.goto(page.base + "/learners?q=asha")
    page.click("text=Asha Devi")
    page.locator("#milestones ~ .table-wrap tr", has_text="CV written").locator("button[value=reached]").click()
    page.wait_for_selector(".flash-success")
    assert "reached" in page.locator("#milestones ~ .table-wrap tr", has_text="CV written").inner_text()
    sign_out(page)

    sign_in(page, "admin@saathi.test")
    page.goto(page.base + "/journeys/impact")
    card = page.locator("section.card", has_text="Andheri Mall")
    card.locator("input[name=enabled]").check()
    card.locator("input[name=slug]").fill("andheri")
    card.locator("[type=submit]").click()
    page.wait_for_selector(".flash-success")
    sign_out(page)

    page.goto(page.base + "/impact/andheri")
    main = page.inner_text("main")
    assert "Impact of Andheri Mall" in main and "fewer than 5" in main and "Asha" not in main
    shot(page, "public-impact-page")
    assert page.js_errors == [], page.js_errors

"""A coordinator in a real browser: enrol a mentee, read the suggestions and their reasons,
propose the best mentor, record the introduction, confirm the pair and log a meeting."""
from __future__ import annotations

import pytest

from app.db import session_scope
from app.mentoring.people import enrol_mentor
from app.models import Site
from tests.browser.conftest import shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def seed_mentors(app, now) -> None:
    from sqlmodel import select

    with app.app_context(), session_scope(app) as db:
        andheri = db.exec(select(Site).where(Site.name == "Andheri Mall")).one()
        enrol_mentor(db, site=andheri, name="Kiran Rao", profession="Engineer", phone="+919812340001",
                     languages="arabic, hindi", region="Mumbai", employer="L&T", now=now)
        enrol_mentor(db, site=andheri, name="Meena Shah", profession="Cook", phone="+919812340002",
                     languages="arabic", region="Mumbai", now=now)


def test_a_coordinator_pairs_a_new_mentee_and_logs_a_meeting(page, server, clock):
    seed_mentors(server, clock.now())
    sign_in(page, "supervisor@saathi.test")
    page.click("nav >> text=Mentoring")
    page.click("text=Enrol mentee")
    page.fill("input[name=name]", "Rahul Verma")
    page.fill("input[name=phone]", "98123 40055")
    page.fill("input[name=profession]", " engineer ")
    page.fill("input[name=region]", "Mumbai")
    page.fill("input[name=languages]", "Arabic, Marathi")
    page.fill("textarea[name=goals]", "A site engineer's job")
    page.check("input[name=consent]")
    page.click("form [type=submit][name=submit]")
    page.wait_for_selector("tr.suggestion")
    rows = page.locator("tr.suggestion")
    first = rows.nth(0).inner_text()
    assert "Kiran Rao" in first and "same profession: engineer" in first and "speaks Arabic" in first
    assert "same region: Mumbai" in first
    assert "Meena Shah" in rows.nth(1).inner_text()
    shot(page, "coordinator-suggestions")

    rows.nth(0).locator("button:has-text('Propose')").click()
    page.wait_for_selector(".flash-success")
    assert "Pair proposed." in page.inner_text(".flashes")
    page.click("text=Record introduction >> nth=-1")
    page.wait_for_selector(".flash-success")
    assert "Introduction recorded." in page.inner_text(".flashes")
    page.fill("textarea[name='confirm-goals']", "CV in English; two interviews")
    page.click("text=Confirm pair >> nth=-1")
    page.wait_for_selector(".flash-success")
    assert "Pair confirmed." in page.inner_text(".flashes")
    page.fill("textarea[name='meeting-discussed']", "Went through the CV line by line")
    page.fill("input[name='meeting-next_step']", "Send two applications")
    page.click("text=Log meeting >> nth=-1")
    page.wait_for_selector(".flash-success")
    log = page.inner_text("table.meetings")
    assert "Went through the CV line by line" in log and "Send two applications" in log and "Farah" in log
    shot(page, "coordinator-pair")

    page.goto(page.base + "/mentoring/")
    main = page.inner_text("main")
    assert "Rahul Verma" in main and "Kiran Rao" in main
    shot(page, "coordinator-dashboard")
    assert page.js_errors == [], page.js_errors

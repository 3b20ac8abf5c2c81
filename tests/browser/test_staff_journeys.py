"""Trainer, supervisor and admin in a real browser against a real server.

The trainer uploads a broken module (and sees file:line errors), then a good pack, which
they publish; creates a test learner, marks a session as held, sends the due prompts and
answers the quiz in the phone simulator. The supervisor then reads the dashboard, reviews
feedback, keeps a testimonial, prints recognition and a report and downloads its CSV.
The admin sees full phone numbers, exports a learner and switches the UI to Hindi.
"""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tests.browser.conftest import shot, sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.slow]
QUIZ_ANSWERS = ["2", "3", "1", "1", "2"]  # upi-safety: four right, the fourth wrong


def zip_folder(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(folder.rglob("*")):
            archive.write(path, f"{folder.name}/{path.relative_to(folder).as_posix()}")
    return target


def accept_dialogs(page) -> None:
    page.on("dialog", lambda dialog: dialog.accept())


def trainer_publishes_content(page, content: Path, tmp_path: Path) -> None:
    page.goto(page.base + "/workspace/content")
    broken = tmp_path / "upi-safety.yaml"
    broken.write_text((content / "digital-banking" / "upi-safety.yaml").read_text()
                      .replace("    answer: 2\n", "    answer: 9\n", 1), encoding="utf-8")
    page.set_input_files("input[name=file]", str(broken))
    page.select_option("select[name=pack]", "digital-banking")
    page.click("form[action$='/upload'] [type=submit]")
    page.wait_for_selector("#errors")
    errors = page.inner_text("#errors")
    assert "digital-banking/upi-safety.yaml:68:" in errors, errors
    assert page.locator("#publish").count() == 0
    shot(page, "trainer-content-broken")

    page.goto(page.base + "/workspace/content")
    page.set_input_files("input[name=file]", str(zip_folder(content / "digital-banking", tmp_path / "db.zip")))
    page.click("form[action$='/upload'] [type=submit]")
    page.wait_for_selector("#no-errors")
    assert "UCS-2" in page.inner_text("#costs")
    shot(page, "trainer-content-good")
    page.click("#publish")
    page.wait_for_url("**/workspace/content")
    assert "Published:" in page.inner_text(".flashes")
    page.click("text=UPI safety")
    page.wait_for_selector("pre.sms")
    assert "Q1/5" in page.inner_text("main")
    shot(page, "trainer-module-preview")


def trainer_runs_a_session_in_the_simulator(page) -> None:
    page.goto(page.base + "/simulator/")
    page.fill("#t-name", "Sim Sunita")
    page.select_option("#t-cohort", label="andheri-housekeeping")
    page.click("form[action$='/simulator/learners'] [type=submit]")
    page.wait_for_selector(".phone")
    conversation_url = page.url

    page.goto(page.base + "/workspace/sessions")
    page.select_option("select[name=cohort]", label="andheri-housekeeping (Andheri Mall)")
    page.select_option("select[name=module]", label="Digital banking · UPI safety")
    page.click("form [type=submit][name=submit]")
    page.wait_for_selector(".flash-success")
    assert "queued for 4 learners" in page.inner_text(".flash-success")
    shot(page, "trainer-session-held")

    page.goto(conversation_url)
    page.click("#dispatch")
    page.wait_for_selector(".bubble.out")
    assert "Q1/5" in page.inner_text("#thread")
    for answer in QUIZ_ANSWERS + ["5", "Clear and useful, thank you"]:
        count = page.locator(".bubble").count()
        page.fill("#body", answer)
        page.click(".compose [type=submit]")
        page.locator(".bubble").nth(count).wait_for()  # a locator, not a JS string: the CSP forbids eval
    thread = page.inner_text("#thread")
    assert "Correct!" in thread and "The answer is 3" in thread
    assert "Your trainer will read this" in thread
    shot(page, "trainer-simulator-quiz")


def test_trainer_supervisor_and_admin_in_the_browser(page, server, tmp_path):
    accept_dialogs(page)
    content = Path(server.config["CONTENT_DIR"])

    sign_in(page, "trainer@saathi.test")
    shot(page, "trainer-dashboard")
    trainer_publishes_content(page, content, tmp_path)
    page.goto(page.base + "/workspace/learners/import")
    page.fill("textarea[name=text]", "phone,name,site,language,cohort\n"
                                     "+919820000009,Kavita Joshi,Andheri Mall,hi,andheri-housekeeping\n"
                                     "12,Bad Row,Andheri Mall,en,andheri-housekeeping\n"
                                     "+4791000009,Ola Nordmann,Oslo Læringssenter,nb,oslo-jobbklar\n")
    page.click("form [type=submit][name=submit]")
    report = page.inner_text("#import-report")
    assert "1 created" in report and "2 rejected" in report and "not one of your sites" in report
    shot(page, "trainer-import-report")
    trainer_runs_a_session_in_the_simulator(page)
    sign_out(page)

    sign_in(page, "supervisor@saathi.test")
    assert "Oslo" not in page.inner_text("main")
    page.click("text=Andheri Mall")
    page.wait_for_selector("figure.chart svg")
    assert page.locator("figure.chart svg").count() == 3
    main = page.inner_text("main")
    assert "Right answers by module" in main and "Most-missed questions" in main
    shot(page, "supervisor-site-dashboard")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "supervisor-site-dashboard-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(page.base + "/feedback?comments=1")
    assert "Clear and useful, thank you" in page.inner_text("main")
    page.click("summary:has-text('Use as testimonial')")
    page.check("input[name=confirm]")
    page.click("text=Add to testimonials")
    page.wait_for_selector(".flash-success")
    shot(page, "supervisor-feedback")
    page.goto(page.base + "/testimonials")
    assert "Clear and useful, thank you" in page.inner_text("main")
    shot(page, "supervisor-testimonials")

    page.goto(page.base + "/recognition")
    assert "Sim Sunita" in page.inner_text("main")
    page.emulate_media(media="print")
    shot(page, "supervisor-recognition-print")
    page.emulate_media(media="screen")
    page.goto(page.base + "/reports")
    page.click("text=Printable page >> nth=0")
    assert "Weekly report · Andheri Mall" in page.inner_text("h1")
    shot(page, "supervisor-weekly-report")
    with page.expect_download() as download:
        page.click("text=Download CSV")
    csv_text = Path(download.value.path()).read_text()
    assert csv_text.splitlines()[-1].startswith("Andheri Mall,") and ",TOTAL," in csv_text
    sign_out(page)

    sign_in(page, "admin@saathi.test")
    page.goto(page.base + "/learners?q=asha")
    assert "+919820000001" in page.inner_text("main")
    page.click("text=Asha Devi")
    with page.expect_download() as download:
        page.click("text=Export all data (JSON)")
    exported = json.loads(Path(download.value.path()).read_text())
    assert exported["learner"]["name"] == "Asha Devi"
    shot(page, "admin-learner")
    page.select_option("#ui-language", "hi")
    page.wait_for_selector("html[lang=hi]")
    shot(page, "admin-dashboard-hindi")
    assert page.js_errors == [], page.js_errors


def test_sign_in_page_and_a_wrong_password(page):
    page.goto(page.base + "/")
    page.wait_for_url("**/login?next=%2F")
    page.fill("input[name=email]", "supervisor@saathi.test")
    page.fill("input[name=password]", "wrong password")
    page.click("form:has(input[name=password]) [type=submit]")
    assert "Invalid e-mail or password." in page.inner_text(".flashes")
    shot(page, "login-refused")
    assert page.js_errors == [], page.js_errors

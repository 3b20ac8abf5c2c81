"""Languages in the staff UI: the trainer's view says which texts await a native speaker,
and the UI speaks each shipped language, right to left for Arabic."""
from __future__ import annotations

from datetime import UTC
from html import unescape

from app.config import REPO_ROOT
from app.content.importer import import_packs
from app.content.validator import validate_paths
from tests.web.conftest import app_db, csrf_token


def choose_language(client, code: str):
    page = client.get("/workspace/content").data.decode()
    return client.post("/language", data={"language": code, "csrf_token": csrf_token(page)})


def test_the_trainer_sees_which_languages_await_a_native_speaker(web_app, as_user, world, clock):
    with app_db(web_app) as db:
        import_packs(db=db, packs=validate_paths([REPO_ROOT / "content"]).packs, now=clock.now())
        db.commit()
    client = as_user("trainer_a")
    page = client.get("/workspace/content").data.decode()
    assert page.count("Needs review by a native speaker") == 3  # one per shipped pack
    assert "Some modules also in: Marathi, Tamil, Telugu, Kannada, Bangla, Arabic" in page  # CLDR names
    assert "No voice for calls" not in page  # every shipped language has a Twilio voice
    choose_language(client, "ta")
    page = client.get("/workspace/content").data.decode()
    assert "தாய்மொழியாளர் சரிபார்க்க வேண்டும்" in page and "மராத்தி" in page  # Marathi, in Tamil
    assert 'lang="ta"' in page


def test_arabic_pages_are_right_to_left_and_remembered_for_the_user(web_app, as_user, world):
    client = as_user("supervisor_a")
    choose_language(client, "ar")
    page = client.get("/").data.decode()
    assert 'dir="rtl"' in page and 'lang="ar"' in page and "لوحة المعلومات" in page
    again = as_user("supervisor_a")  # a new sign-in: the choice is the account's
    assert 'dir="rtl"' in again.get("/").data.decode()
    choose_language(again, "hi")
    assert 'dir="rtl"' not in again.get("/").data.decode()


def test_dates_times_and_numbers_are_written_as_each_language_writes_them(web_app):
    from datetime import datetime

    from flask_babel import force_locale

    from app.web.formatting import day, moment, number

    consent = datetime(2026, 12, 4, 10, 12, tzinfo=UTC)  # 15:42 in India
    expected = {
        "en": ("4 Dec 2026, 3:42 PM IST", "4 Dec 2026", "12,345.5"),
        "nb": ("4. des. 2026, 15:42 IST", "4. des. 2026", "12 345,5"),
        "hi": ("४ दिस॰ २०२६, ३:४२ pm IST", "४ दिस॰ २०२६", "12,345.5"),
        "ta": ("4 டிச., 2026, 3:42 PM IST", "4 டிச., 2026", "12,345.5"),
    }
    with web_app.test_request_context():
        for code, (when, date_only, amount) in expected.items():
            with force_locale(code):
                assert moment(consent, "Asia/Kolkata").replace("\u202f", " ").replace("\xa0", " ") == when, code
                assert day(consent.date()) == date_only, code
                assert number(12345.5).replace("\xa0", " ").replace("\u202f", " ") == amount, code
        with force_locale("nb"):
            assert moment(consent, "Europe/Oslo", "time") == "11:12 CET"  # the zone is always named


def test_a_consent_is_stored_as_the_moment_it_was_given():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from app.web.dashboard.feedback import consent_moment

    india = ZoneInfo("Asia/Kolkata")
    now = datetime(2026, 12, 4, 10, 12, tzinfo=UTC)  # 15:42 IST
    assert consent_moment("2026-12-04", now=now, zone=india) == now
    assert consent_moment("", now=now, zone=india) == now
    # 4 Dec 02:00 IST is still 3 Dec in UTC: the site's calendar decides which day is today.
    early = datetime(2026, 12, 3, 20, 30, tzinfo=UTC)
    assert consent_moment("2026-12-04", now=early, zone=india) == early
    earlier = consent_moment("2026-12-01", now=now, zone=india)
    assert earlier.astimezone(india) == datetime(2026, 12, 1, 12, 0, tzinfo=india)


def test_the_dashboard_shows_what_messages_cost_in_the_sites_currency(web_app, as_user, world):
    client = as_user("admin")
    page = client.get(f"/sites/{world.site_a}").data.decode()
    assert 'id="costs"' in page and "Cost per learner" in page and "₹" in page  # Andheri: India
    oslo = client.get(f"/sites/{world.site_b}").data.decode()
    assert "NOK10.40" in oslo.split('id="costs"')[1]  # CLDR English writes the ISO code
    choose_language(client, "nb")
    oslo = client.get(f"/sites/{world.site_b}").data.decode()
    assert "Kostnad per deltaker" in oslo and "10,40 kr" in oslo.replace("\xa0", " ")


def test_prices_are_read_from_settings_and_a_bad_table_stops_start_up():
    import pytest

    from app.config import ConfigError, check_config, defaults
    from app.reports.costs import Price, costs, price_table

    table = price_table({"PRICES": '{"nl": {"currency": "eur", "sms_segment": 0.1}}'})
    assert table == {"NL": Price("EUR", 0.1, 0.0)}
    spent = costs(price=table["NL"], segments=30, learners=3, sessions=2, right_answers=0)
    assert (spent.total, spent.per_learner, spent.per_session, spent.per_right_answer) == (3.0, 1.0, 1.5, None)
    with pytest.raises(ConfigError, match=r"SAATHI_PRICES\['IN'\]"):
        check_config({**defaults("/tmp"), "PRICES": {"IN": {"sms_segment": 1}}})


def test_csv_exports_open_in_a_spreadsheet_in_the_users_language(as_user, world):
    client = as_user("supervisor_a")
    url = f"/sites/{world.site_a}/reports/monthly.csv?period=2026-03"
    english = client.get(url).data.decode("utf-8")
    assert english.startswith("\ufeff") and english.splitlines()[0] == \
        "\ufeffSite,Period,From,To,Cohort,Learners,Active,Opted out,Learners answering,Sessions held," \
        "Questions sent,Answers,Right answers (%),Ratings,Average rating,Comments,Undelivered messages," \
        "Messages,Segments,SMS segments per learner"
    choose_language(client, "nb")  # a decimal comma: Excel splits on ";" there
    norwegian = client.get(url).data.decode("utf-8")
    header, *rows = norwegian.lstrip("\ufeff").splitlines()
    assert len(header.split(";")) == 20 and header.split(";")[0] == "Sted"
    assert rows[-1].split(";")[12] == "66,7"
    choose_language(client, "ta")
    tamil = client.get("/learners.csv").data.decode("utf-8")
    assert tamil.startswith("\ufeffபெயர்,தொலைபேசி,தளம்,குழு,மொழி,வழி,நிலை")
    machine = client.get(url + "&columns=machine").data.decode("utf-8")
    assert machine.startswith("site,period,from,to,cohort") and "\ufeff" not in machine


def test_the_printable_report_has_no_screen_only_text(as_user, world):
    css = as_user("supervisor_a").get("/static/saathi.css").data.decode()
    print_rules = css.split("@media print", 1)[1]
    hidden = next(line for line in print_rules.splitlines() if "display: none" in line)
    assert ".skip" in hidden and ".no-print" in hidden
    page = as_user("supervisor_a").get(f"/sites/{world.site_a}/reports/weekly?period=2026-03-04").data.decode()
    assert 'class="skip no-print"' in page


def test_the_cli_export_writes_a_spreadsheet_or_machine_csv(web_app, world, tmp_path):
    runner = web_app.test_cli_runner()
    out = tmp_path / "march.csv"
    result = runner.invoke(args=["reports", "export", "Andheri Mall", "--kind", "monthly", "--period", "2026-03",
                                 "--language", "hi", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("\ufeff") and "सत्र" in text.splitlines()[0]
    result = runner.invoke(args=["reports", "export", str(world.site_a), "--kind", "monthly", "--period", "2026-03",
                                 "--columns", "machine"])
    assert result.exit_code == 0 and result.output.startswith("site,period,from,to,cohort,learners")
    assert result.output.splitlines()[-1].split(",")[4] == "TOTAL"
    bad = runner.invoke(args=["reports", "export", "Andheri Mall", "--language", "xx"])
    assert bad.exit_code != 0 and "--language" in bad.output


def test_a_refused_row_is_explained_in_the_trainers_language(web_app, as_user, world):
    client = as_user("trainer_a")
    choose_language(client, "ta")
    page = client.get("/workspace/learners/import").data.decode()
    sheet = "phone,name,site,language,cohort\n+919876543299,Meena Rao,Andheri Mall,klingon,andheri-march\n"
    response = unescape(client.post("/workspace/learners/import", data={"csrf_token": csrf_token(page), "text": sheet},
                                    follow_redirects=True).data.decode())
    assert "தெரியாத மொழி 'klingon'; சாத்தி பேசும் மொழிகள்: ar (Arabic)" in response

"""Languages in the staff UI: the trainer's view says which texts await a native speaker,
and the UI speaks each shipped language, right to left for Arabic."""
from __future__ import annotations

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
    page = client.get("/dashboard/").data.decode()
    assert 'dir="rtl"' in page and 'lang="ar"' in page and "لوحة المعلومات" in page
    again = as_user("supervisor_a")  # a new sign-in: the choice is the account's
    assert 'dir="rtl"' in again.get("/dashboard/").data.decode()
    choose_language(again, "hi")
    assert 'dir="rtl"' not in again.get("/dashboard/").data.decode()


def test_dates_times_and_numbers_are_written_as_each_language_writes_them(web_app):
    from datetime import datetime, timezone

    from flask_babel import force_locale

    from app.web.formatting import day, moment, number

    consent = datetime(2026, 12, 4, 10, 12, tzinfo=timezone.utc)  # 15:42 in India
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
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from app.web.dashboard.feedback import consent_moment

    india = ZoneInfo("Asia/Kolkata")
    now = datetime(2026, 12, 4, 10, 12, tzinfo=timezone.utc)  # 15:42 IST
    assert consent_moment("2026-12-04", now=now, zone=india) == now
    assert consent_moment("", now=now, zone=india) == now
    # 4 Dec 02:00 IST is still 3 Dec in UTC: the site's calendar decides which day is today.
    early = datetime(2026, 12, 3, 20, 30, tzinfo=timezone.utc)
    assert consent_moment("2026-12-04", now=early, zone=india) == early
    earlier = consent_moment("2026-12-01", now=now, zone=india)
    assert earlier.astimezone(india) == datetime(2026, 12, 1, 12, 0, tzinfo=india)

"""What a supervisor sees in the browser: dashboards, feedback review, testimonials,
recognition and reports, with charts drawn on the server and no asset from elsewhere."""
from __future__ import annotations

import csv
import html as html_lib
import io
import re

import pytest

from app.models import Feedback
from tests.web.conftest import app_db

EXTERNAL = re.compile(r"""(?:src|href)=["'](?:https?:)?//""", re.IGNORECASE)


def text_of(html: str) -> str:
    html = re.sub(r"<(svg|style|script)[\s\S]*?</\1>", " ", html)
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def test_overview_lists_the_users_sites_with_numbers(as_user, world):
    page = text_of(as_user("admin").get("/").data.decode())
    assert "Andheri Mall" in page and "Oslo Læringssenter" in page
    assert "2 ratings or comments need follow-up." not in page  # 2 entries at Andheri + 2 at Oslo
    assert "4 ratings or comments need follow-up." in page


def test_site_dashboard_has_numbers_tables_and_server_drawn_charts(as_user, world):
    html = as_user("supervisor_a").get(f"/sites/{world.site_a}").data.decode()
    page = text_of(html)
    for expected in ("2 Active learners", "1 Sessions held", "6 Questions sent", "6 Answers", "67 % Right answers",
                     "3.5 /5 Average rating", "0 Undelivered messages", "UPI safety 6 67 %"):
        assert expected in page, expected
    # Most-missed first.
    assert page.index("Before you pay by UPI") < page.index("Someone says he is from the bank")
    svgs = re.findall(r"<svg[\s\S]*?</svg>", html)
    assert len(svgs) == 3 and all('class="pygal-chart"' in svg for svg in svgs)
    assert "<script" not in html.split("</head>")[1]  # pygal's inline script is stripped
    assert not EXTERNAL.search(html), EXTERNAL.search(html)


def test_cohort_filter_and_cohort_page(as_user, world):
    client = as_user("supervisor_a")
    response = client.get(f"/cohorts/{world.cohort_a}")
    assert response.headers["Location"] == f"/sites/{world.site_a}?cohort={world.cohort_a}"
    page = text_of(client.get(response.headers["Location"]).data.decode())
    assert "Andheri Mall · andheri-march" in page
    page = text_of(client.get(f"/sites/{world.site_a}?from=2026-02-01&to=2026-02-28").data.decode())
    assert "0 Answers" in page and "No answers yet" in page


def test_session_page_shows_items_and_feedback(as_user, world):
    page = text_of(as_user("supervisor_a").get(f"/sessions/{world.session_a}").data.decode())
    assert "UPI safety" in page and "Held on" in page
    assert "Very useful, thank you" in page and "Too fast for me" in page


def test_feedback_review_filters(as_user, world):
    client = as_user("supervisor_a")
    page = text_of(client.get("/feedback").data.decode())
    assert "Feedback (2)" in page  # one entry per learner and session: rating and comment together
    assert "2 /5 “Too fast for me”" in page and "5 /5 “Very useful, thank you”" in page
    assert "Feedback (1)" in text_of(client.get("/feedback?rating=2").data.decode())
    low = text_of(client.get("/feedback?low=1").data.decode())
    assert "Feedback (1)" in low and "Ravi Kumar" in low
    comments = text_of(client.get(f"/feedback?comments=1&site={world.site_a}&cohort={world.cohort_a}").data.decode())
    assert "Feedback (2)" in comments and "Too fast for me" in comments
    assert "Feedback (2)" in text_of(client.get("/feedback?flagged=1").data.decode())
    assert "Feedback (2)" in text_of(client.get(f"/feedback?session={world.session_a}").data.decode())


def test_removing_the_flag_clears_it_and_flagging_raises_it_again(web_app, as_user, world):
    client = as_user("supervisor_a")
    response = client.post(f"/feedback/{world.feedback_a}/unflag", data={"next": "/feedback"})
    assert response.status_code == 302 and response.headers["Location"] == "/feedback"
    with app_db(web_app) as db:
        row = db.get(Feedback, world.feedback_a)
        assert not row.flagged and row.reviewed_at is not None
    client.post(f"/feedback/{world.feedback_a}/flag")
    with app_db(web_app) as db:
        assert db.get(Feedback, world.feedback_a).flagged


def test_testimonial_needs_consent_then_appears_in_the_bank(web_app, as_user, world):
    client = as_user("supervisor_a")
    response = client.post(f"/feedback/{world.feedback_a}/testimonial", data={"consent": "1"}, follow_redirects=True)
    assert b"Tick the box to confirm" in response.data
    with app_db(web_app) as db:
        assert not db.get(Feedback, world.feedback_a).testimonial
    client.post(f"/feedback/{world.feedback_a}/testimonial",
                data={"consent": "1", "confirm": "yes", "consent_date": "2026-03-01"})
    with app_db(web_app) as db:
        row = db.get(Feedback, world.feedback_a)
        assert row.testimonial and row.consent_at.date().isoformat() == "2026-03-01"
    bank = text_of(client.get(f"/sites/{world.site_a}/testimonials").data.decode())
    assert "“Very useful, thank you”" in bank and "— Asha, andheri-march" in bank
    assert "Devi" not in bank  # first names only
    assert client.get("/testimonials").headers["Location"] == f"/sites/{world.site_a}/testimonials"
    client.post(f"/feedback/{world.feedback_a}/testimonial", data={"consent": "0"})
    assert "Very useful" not in text_of(client.get(f"/sites/{world.site_a}/testimonials").data.decode())


def test_trainers_read_feedback_but_do_not_change_it(as_user, world):
    client = as_user("trainer_a")
    assert client.get("/feedback").status_code == 200
    assert client.post(f"/feedback/{world.feedback_a}/unflag").status_code == 403
    assert client.post(f"/feedback/{world.feedback_a}/flag").status_code == 403
    assert "Remove flag" not in client.get("/feedback").data.decode()


def test_recognition_page_is_printable(as_user, world):
    html = as_user("supervisor_a").get(f"/sites/{world.site_a}/recognition?month=2026-03").data.decode()
    page = text_of(html)
    assert "Learners of the month" in page and "March 2026" in page
    assert page.index("Asha Devi") < page.index("Ravi Kumar")
    assert "data-print" in html
    assert "No answers this month yet." in text_of(
        as_user("supervisor_a").get(f"/sites/{world.site_a}/recognition?month=2026-01").data.decode())


def test_weekly_and_monthly_reports_as_page_and_csv(as_user, world):
    client = as_user("supervisor_a")
    page = text_of(client.get(f"/sites/{world.site_a}/reports/weekly?period=2026-03-04").data.decode())
    assert "Weekly report · Andheri Mall" in page and "2 March 2026 – 8 March 2026" in page  # CLDR en_IN
    assert "Total 2 2 1 6 6 67 %" in page
    response = client.get(f"/sites/{world.site_a}/reports/monthly.csv?period=2026-03&columns=machine")
    assert response.mimetype == "text/csv"
    assert 'filename="saathi-monthly-' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.data.decode())))
    assert rows[-1]["cohort"] == "TOTAL" and rows[-1]["answers"] == "6" and rows[-1]["period"] == "2026-03"
    assert client.get(f"/sites/{world.site_a}/reports/yearly").status_code == 404
    print_css = client.get("/static/saathi.css").data.decode()
    assert "@media print" in print_css


def test_a_report_downloads_as_a_pdf_of_the_same_page(as_user, world):
    """WeasyPrint renders the printable page: same figures, the site's own stylesheet, and
    the Hindi UI's Devanagari as text (not boxes: the font is there)."""
    from pypdf import PdfReader

    try:
        import weasyprint  # noqa: F401
    except OSError:
        pytest.skip("Pango is missing (scripts/apt-packages pdf installs it)")
    client = as_user("supervisor_a")
    response = client.get(f"/sites/{world.site_a}/reports/weekly.pdf?period=2026-03-04")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert 'filename="saathi-weekly-' in response.headers["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.data))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Weekly report · Andheri Mall" in text and "Total 2 2 1 6 6 67 %" in " ".join(text.split())
    assert "Download CSV" not in text  # the print stylesheet was applied
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert width > height  # A4 landscape, for the wide table
    client.post("/language", data={"language": "hi"})
    hindi = PdfReader(io.BytesIO(client.get(f"/sites/{world.site_a}/reports/monthly.pdf?period=2026-03").data))
    assert "मासिक" in hindi.pages[0].extract_text()


def test_without_pango_the_pdf_link_says_what_is_missing(as_user, world, monkeypatch):
    from app.web.dashboard import reports
    from app.web.dashboard.pdf import PdfUnavailable

    def no_pango(html, *, base_url):
        raise PdfUnavailable("cannot load library 'libpango-1.0-0'")

    monkeypatch.setattr(reports, "render_pdf", no_pango)
    response = as_user("supervisor_a").get(f"/sites/{world.site_a}/reports/weekly.pdf")
    assert response.status_code == 503
    assert "libpango-1.0-0" in response.data.decode() and "Print" in response.data.decode()


def test_pages_render_in_every_ui_language(web_app, as_user, world):
    client = as_user("admin")
    for lang in ("hi", "nb", "nl", "en"):
        client.post("/language", data={"language": lang})
        for path in ("/", f"/sites/{world.site_a}", "/feedback", f"/sites/{world.site_a}/reports/weekly",
                     f"/sites/{world.site_a}/recognition", "/workspace/content"):
            response = client.get(path)
            assert response.status_code == 200, (lang, path)
            assert f'<html lang="{lang}">' in response.data.decode()

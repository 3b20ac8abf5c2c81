"""The printable report as a PDF: WeasyPrint says nothing, and no screen-only text reaches paper.

WeasyPrint logs what it ignores (a CSS property it does not know, a media query, a glyph no
font has) on the ``weasyprint`` logger at WARNING; each is a difference between the page and
the PDF. The report is rendered in English, Hindi, Tamil and Arabic (right to left), and the
text of the laid-out pages is read back from WeasyPrint's boxes (not from the PDF, whose text
extraction depends on the font) to check that the skip link, the menu, the language picker and
the buttons stayed on screen.
"""
from __future__ import annotations

import logging

import pytest

from app.i18n import translations
from tests.web.conftest import csrf_token

LANGUAGES = ("en", "hi", "ta", "ar")
# What the page shows on screen only: skip link, menu, account controls, the report's buttons
# ("Learners" is also a column of the report, so the menu is checked by its other links).
SCREEN_ONLY = ("Skip to content", "Menu", "Dashboard", "Testimonials", "Recognition", "Sign out", "Change",
               "Download CSV", "Download PDF", "Print", "Previous", "Next")


@pytest.fixture
def weasyprint():
    try:
        import weasyprint
    except OSError:
        pytest.skip("Pango is missing (scripts/apt-packages pdf installs it)")
    return weasyprint


def choose(client, code: str) -> None:
    page = client.get("/").data.decode()
    assert client.post("/language", data={"language": code, "csrf_token": csrf_token(page)}).status_code == 302


def laid_out_text(web_app, client, url: str) -> str:
    """The text WeasyPrint put on the pages of the printable ``url``, box by box."""
    from weasyprint.formatting_structure.boxes import TextBox

    from app.web.dashboard.pdf import document

    html = client.get(url).data.decode()
    with web_app.test_request_context():
        pages = document(html, base_url="http://localhost/").pages
    texts = []
    for page in pages:
        stack = [page._page_box]
        while stack:
            box = stack.pop()
            if isinstance(box, TextBox):
                texts.append(box.text)
            stack.extend(getattr(box, "children", ()))
    return " ".join(texts)


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_report_pdf_renders_without_weasyprint_warnings(web_app, as_user, world, weasyprint, caplog, code):
    client = as_user("admin")
    choose(client, code)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        response = client.get(f"/sites/{world.site_a}/reports/monthly.pdf?period=2026-03")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    warnings = [record.getMessage() for record in caplog.records
                if record.name.startswith("weasyprint") and record.levelno >= logging.WARNING]
    assert warnings == []


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_printed_report_has_no_screen_only_text(web_app, as_user, world, weasyprint, code):
    client = as_user("admin")
    choose(client, code)
    url = f"/sites/{world.site_a}/reports/monthly?period=2026-03"
    text = laid_out_text(web_app, client, url)
    catalog = translations(code)
    assert catalog.gettext("Monthly report") in text  # the report itself is there
    shown = [word for word in SCREEN_ONLY if catalog.gettext(word) in text]
    assert shown == []


def test_screen_only_rules_are_in_a_screen_stylesheet(as_user, world):
    """WeasyPrint reads only stylesheets for "all" or "print"; media features, overflow-x/-y
    and the phone layout live in screen.css, linked for screens only."""
    client = as_user("supervisor_a")
    page = client.get(f"/sites/{world.site_a}/reports/weekly?period=2026-03-04").data.decode()
    assert 'screen.css" media="screen"' in page
    shared = client.get("/static/saathi.css").data.decode()
    assert "@media (" not in shared and "overflow-x" not in shared and "overflow-y" not in shared
    screen = client.get("/static/screen.css").data.decode()
    assert "@media (max-width: 760px)" in screen and "overflow-x: auto" in screen


def test_without_harfbuzz_subset_whole_fonts_are_embedded_silently(web_app, as_user, world, weasyprint, caplog,
                                                                   monkeypatch):
    """A server lacking libharfbuzz-subset0 would make WeasyPrint subset with fontTools and
    warn; the PDF then embeds whole fonts instead: bigger, but the same pages and no warning."""
    from app.web.dashboard import pdf

    client = as_user("admin")
    url = f"/sites/{world.site_a}/reports/weekly.pdf?period=2026-03-04"
    subset = client.get(url).data
    has_subset = pdf._harfbuzz_subset()
    monkeypatch.setattr(pdf, "_harfbuzz_subset", lambda: False)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        whole = client.get(url).data
    assert whole.startswith(b"%PDF")
    assert len(whole) > len(subset) or not has_subset  # without the library both were whole fonts
    assert [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")] == []

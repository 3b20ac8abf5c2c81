"""Every page at 1280×800 (a laptop) and 360×740 (a supervisor's phone), in English, Hindi,
Tamil and Arabic (right to left): no horizontal scrolling, every button styled.

A page scrolls sideways when anything is wider than the window; tables may scroll inside
their own ``.table-wrap``, the page may not. An unstyled button is the browser's grey box:
Chromium's default ``buttonface`` background. Screenshots land in ``test-artifacts/``.
"""
from __future__ import annotations

from tests.browser.conftest import shot, sign_in

SIZES = {"desktop": (1280, 800), "phone": (360, 740)}
LANGUAGES = ("en", "hi", "ta", "ar")
PAGES = ("/", "/sites/1", "/learners", "/feedback", "/testimonials", "/reports", "/sites/1/reports/weekly",
         "/sites/1/recognition", "/sites/1/changes", "/workspace/sessions", "/workspace/learners/import",
         "/workspace/content", "/workspace/sites/1/settings", "/simulator/")
DEFAULT_BUTTON = ("rgb(239, 239, 239)", "rgb(240, 240, 240)", "buttonface")

OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('body *')].filter(el => {
    if (el.closest('.table-wrap, .visually-hidden, .skip, [hidden]')) return false;
    const box = el.getBoundingClientRect();
    return box.width > 0 && (box.right > width + 1 || box.left < -1);
  }).map(el => el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ')[0] : ''));
  return {scroll: document.documentElement.scrollWidth - width, wide: wide.slice(0, 5)};
}"""
UNSTYLED = """(defaults) => [...document.querySelectorAll('button, input[type=submit], input[type=button], .button')]
  .filter(el => el.offsetParent !== null)
  .filter(el => defaults.includes(getComputedStyle(el).backgroundColor) || getComputedStyle(el).borderStyle === 'outset')
  .map(el => el.outerHTML.slice(0, 80))"""


def choose_language(page, code: str) -> None:
    page.goto(page.base + "/")
    with page.expect_navigation():  # the picker submits itself; the page comes back in the language
        page.select_option("#ui-language", code)


def test_pages_fit_the_window_and_every_button_is_styled(page):
    """Each page is loaded once per language and looked at in both windows: resizing reflows
    the same document as loading it at that size would (the pages' CSS decides by width)."""
    sign_in(page, "admin@saathi.test")
    problems = []
    for code in LANGUAGES:
        choose_language(page, code)
        for path in PAGES:
            page.goto(page.base + path)
            assert page.evaluate("document.documentElement.lang") == code, path
            assert (page.evaluate("document.documentElement.dir") == "rtl") == (code == "ar"), path
            for size, (width, height) in SIZES.items():
                page.set_viewport_size({"width": width, "height": height})
                problems += look(page, f"{size} {code} {path}")
                if path in ("/", "/sites/1", "/workspace/sessions"):
                    shot(page, f"layout-{size}-{code}-{path.strip('/').replace('/', '-') or 'home'}")
    assert problems == [] and page.js_errors == []


def look(page, where: str) -> list[str]:
    """What is wrong with the page as the window shows it now: sideways scrolling, grey buttons."""
    problems = []
    fit = page.evaluate(OVERFLOW)
    if fit["scroll"] > 0:
        problems.append(f"{where}: {fit['scroll']}px sideways {fit['wide']}")
    unstyled = page.evaluate(UNSTYLED, list(DEFAULT_BUTTON))
    if unstyled:
        problems.append(f"{where}: unstyled {unstyled}")
    return problems


def test_the_sign_in_page_fits_a_phone(page):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(page.base + "/login")
    assert page.evaluate(OVERFLOW)["scroll"] <= 0
    assert page.evaluate(UNSTYLED, list(DEFAULT_BUTTON)) == []
    shot(page, "layout-phone-login")

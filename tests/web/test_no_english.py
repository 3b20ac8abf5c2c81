"""No English left: every page, flash, form error and export header goes through a catalog.

A pseudo-locale (Esperanto's code, ``eo``, a language Saathi does not ship) translates every
message to itself wrapped in ⟦ ⟧. Rendered in it, a page must show no English word outside
the brackets except the data on it (names, content texts, codes). Every shipped locale
renders each page too, and its catalog is complete (``tests/test_catalogs.py``), so a
string that passes here is translated everywhere.
"""
from __future__ import annotations

import re
import shutil
from html import unescape
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po
from sqlmodel import select

from app import languages
from app.config import REPO_ROOT
from app.models import (
    Cohort,
    Feedback,
    Inbound,
    Item,
    Learner,
    Meeting,
    Mentee,
    Mentor,
    Module,
    Outbox,
    Pack,
    Pair,
    Site,
    User,
)
from tests.web.conftest import app_db, csrf_token

PSEUDO = "eo"
PLACEHOLDER = re.compile(r"(\{[a-z_]+\}|%\([a-z_]+\)[sd]|%%)")
SHIPPED = ("en", "hi", "nb", "nl", "mr", "ta", "te", "kn", "bn", "ar")
# Words that are no language's: product names, formats, units and the codes of languages.
NOT_ENGLISH = {"saathi", "sms", "csv", "pdf", "json", "yaml", "utf", "upi", "pin", "otp", "qr", "ist", "utc", "cet",
               "cest", "twilio", "gsm", "ucs", "erase", "stop", "start", "help", "quiz", "score", "lang", "inr", "nok",
               "eur", "zip", "hh", "mm", "am", "pm", "id", "api", "url", "saathi.test", *SHIPPED,
               # the pseudo-locale writes dates as CLDR English does: that is formatting, not a message
               "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec", "march"}


def wrap(text: str) -> str:
    """``Hello {name}`` -> ``⟦Hello {name}⟧``: every placeholder kept, so formatting works."""
    return f"⟦{text}⟧"


def pseudo_catalog(path: Path) -> None:
    from app.cli.translate import extract_to

    pot = path.parent / "messages.pot"
    extract_to(pot)
    with pot.open("rb") as fh:
        catalog = read_po(fh, locale="en")
    catalog.locale = None
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            message.string = (wrap(message.id[0]), wrap(message.id[1]))
        else:
            message.string = wrap(message.id)
    with path.open("wb") as fh:
        write_po(fh, catalog)


@pytest.fixture(scope="session")
def pseudo_locales_folder(tmp_path_factory) -> Path:
    """The shipped catalogs plus the pseudo-locale, made once: extracting every message and
    compiling eleven catalogs is most of a page test's time, and no test writes to them."""
    folder = Path(shutil.copytree(REPO_ROOT / "locales", tmp_path_factory.mktemp("pseudo") / "locales",
                                  ignore=shutil.ignore_patterns("*.mo")))
    (folder / PSEUDO / "LC_MESSAGES").mkdir(parents=True)
    (folder / PSEUDO / "language.toml").write_text(
        'name = "Pseudo"\nenglish_name = "Pseudo"\nbabel_locale = "en"\n[words]\nnames = ["pseudo"]\n',
        encoding="utf-8")
    pseudo_catalog(folder / PSEUDO / "LC_MESSAGES" / "messages.po")
    return folder


@pytest.fixture
def pseudo_locales(pseudo_locales_folder) -> Path:
    yield pseudo_locales_folder
    languages.use(languages.DEFAULT_LOCALES_DIR)


@pytest.fixture
def web_config(web_config, pseudo_locales):
    return {**web_config, "LOCALES_DIR": str(pseudo_locales)}


def data_texts(web_app) -> list[str]:
    """Everything on the pages that is data, not interface: longest first."""
    texts: set[str] = set()
    with app_db(web_app) as db:
        for site in db.exec(select(Site)).all():
            texts |= {site.name, site.timezone, site.country}
        for learner in db.exec(select(Learner)).all():
            texts |= {learner.name, learner.phone}
        for user in db.exec(select(User)).all():
            texts |= {user.email, user.name or ""}
        texts |= {c.name for c in db.exec(select(Cohort)).all()}
        for row in [*db.exec(select(Pack)).all(), *db.exec(select(Module)).all()]:
            texts |= set(row.title.values()) | {row.slug}
        for module in db.exec(select(Module)).all():
            texts |= set((module.greeting or {}).values()) | {module.key}
        for item in db.exec(select(Item)).all():
            texts |= set(item.question.values()) | set(item.explanation.values()) | {item.slug}
            texts |= {text for option in item.options for text in option.values()}

        texts |= {f.comment for f in db.exec(select(Feedback)).all() if f.comment}
        for person in [*db.exec(select(Mentor)).all(), *db.exec(select(Mentee)).all()]:
            texts |= {person.name, person.phone or "", person.email or "", person.profession, person.sector,
                      person.region, person.languages, *(lang.title() for lang in person.languages.split(", ")),
                      getattr(person, "employer", ""), getattr(person, "goals", ""), getattr(person, "education", "")}
        for meeting in db.exec(select(Meeting)).all():
            texts |= {meeting.discussed, meeting.next_step}
        texts |= {p.goals for p in db.exec(select(Pair)).all()}
        # What learners were sent and wrote, in their own language: the conversation, not the UI.
        texts |= {line.strip() for o in db.exec(select(Outbox.body)).all() for line in o.splitlines()}
        texts |= {i.body for i in db.exec(select(Inbound)).all() if getattr(i, "body", None)}
    texts |= {lang.name for lang in languages.current().values()}  # each language named in itself
    texts |= {path.name for path in Path(web_app.config["CONTENT_DIR"]).iterdir()}  # pack slugs
    return sorted((t for t in texts if t), key=len, reverse=True)


def leftover_english(html: str, data: list[str]) -> list[str]:
    """Words of English outside ⟦ ⟧ and outside the data."""
    html = re.sub(r"<(script|style|svg|code|pre|textarea)\b.*?</\1>", " ", html, flags=re.DOTALL | re.IGNORECASE)
    html = re.sub(r'<option value="[a-z]{2}"[^>]*>[^<]*</option>', " ", html)  # the language picker
    text = unescape(re.sub(r"<[^>]+>", " ", html))
    text = re.sub(r"⟦[^⟦⟧]*⟧", " ", text)
    text = re.sub(r"⟦[^⟦⟧]*⟧", " ", text)  # a message inside a message
    for value in data:
        text = text.replace(value, " ")
    words = re.findall(r"[A-Za-z][A-Za-z'.]+[A-Za-z]", text)
    return [w for w in words if w.lower() not in NOT_ENGLISH and not re.fullmatch(r"[a-z]+(-[a-z0-9]+)+", w)]


def pages(world) -> list[str]:
    s, learner, cohort = world.site_a, world.asha, world.cohort_a
    return ["/", f"/sites/{s}", f"/sites/{s}?cohort={cohort}", f"/sessions/{world.session_a}", "/learners",
            f"/learners/{learner}", "/feedback", "/testimonials", f"/sites/{s}/testimonials", f"/sites/{s}/changes",
            "/recognition", f"/sites/{s}/recognition", "/reports", f"/sites/{s}/reports/weekly?period=2026-03-02",
            f"/sites/{s}/reports/monthly?period=2026-03", "/workspace/sessions", "/workspace/content",
            f"/workspace/modules/{world.module}/preview", "/workspace/learners/import",
            f"/workspace/learners/{learner}", f"/workspace/sites/{s}/settings", "/simulator/",
            f"/simulator/{learner}", f"/learners/{learner}/journey", "/journeys/checkins", "/journeys",
            f"/journeys/learners?site={s}&which=graduated", "/mentoring/",
            f"/mentoring/mentees/{world.mentee_a}", f"/mentoring/mentees/{world.waiting_a}",
            f"/mentoring/mentors/{world.mentor_a}", f"/mentoring/pairs/{world.pair_a}", "/mentoring/mentors/new",
            "/mentoring/mentees/new", f"/mentoring/learners/{learner}/mentee", f"/mentoring/sites/{s}/settings",
            "/join/open-a/mentor", "/join/open-a/mentee",
            f"/journeys/learners?site={s}&which=graduated", f"/journeys/learners?site={s}&milestone=cv",
            f"/journeys/learners?site={s}&which=due&on=2026-01-31", f"/journeys/over-time?site={s}",
            "/journeys/impact", "/impact/andheri", "/impact/andheri/embed", "/impact/no-such-programme", "/no-such-page"]


def choose(client, code: str) -> None:
    page = client.get("/").data.decode()
    assert client.post("/language", data={"language": code, "csrf_token": csrf_token(page)}).status_code == 302


def test_every_page_speaks_only_through_the_catalogs(web_app, as_user, world):
    client = as_user("admin")
    choose(client, PSEUDO)
    data = data_texts(web_app)
    found = {}
    for path in pages(world):
        response = client.get(path, follow_redirects=True)
        assert response.status_code in (200, 404), path
        left = leftover_english(response.data.decode(), data)
        if left:
            found[path] = sorted(set(left))
    assert found == {}


def test_flashes_form_errors_and_export_headers_speak_through_the_catalogs(web_app, as_user, world):
    client = as_user("admin")
    choose(client, PSEUDO)
    data = data_texts(web_app)
    page = client.get(f"/workspace/sites/{world.site_a}/settings").data.decode()
    bad = client.post(f"/workspace/sites/{world.site_a}/settings", follow_redirects=True,
                      data={"csrf_token": csrf_token(page), "timezone": "Mars/Base", "window_start": "25:00",
                            "window_end": "08:00", "daily_cap": "999"}).data.decode()
    assert "⟦" in bad and leftover_english(bad, data) == []
    page = client.get("/workspace/sessions").data.decode()
    flashed = client.post("/workspace/sessions", follow_redirects=True,
                          data={"csrf_token": csrf_token(page), "cohort": "", "module": ""}).data.decode()
    assert leftover_english(flashed, data) == []
    # A broken pack's check page: every error, warning and note, and the cost table.
    from tests.web.test_content_i18n import broken_module
    from tests.web.test_workspace import upload

    text, _ = broken_module(web_app.config["CONTENT_DIR"])
    response = upload(client, "upi-safety.yaml", text.encode(), pack="digital-banking")
    checked = client.get(response.headers["Location"]).data.decode()
    assert 'id="errors"' in checked and 'id="needs-review"' in checked
    assert leftover_english(checked, data) == []
    response = upload(client, "upi-safety.yaml", b"slug: [unclosed\n", pack="digital-banking")
    assert leftover_english(client.get(response.headers["Location"]).data.decode(), data) == []
    response = upload(client, "upi-safety.yaml", text.replace("answer: 9", "answer: 2").encode())
    alone = client.get(response.headers["Location"]).data.decode()  # no pack chosen: checked on its own
    assert "⟦" in alone and leftover_english(alone, data) == []
    header = client.get("/learners.csv").data.decode("utf-8").splitlines()[0]
    assert all(cell.startswith("⟦") for cell in header.lstrip("\ufeff").split(","))
    header = client.get(f"/sites/{world.site_a}/reports/weekly.csv").data.decode("utf-8").splitlines()[0]
    assert all(cell.startswith("⟦") for cell in header.lstrip("\ufeff").split(","))


def test_every_page_renders_in_every_shipped_language(web_app, as_user, world):
    """One world for all ten: the pages only read it, and each language is chosen in turn."""
    client = as_user("admin")
    for code in SHIPPED:
        choose(client, code)
        for path in pages(world):
            response = client.get(path, follow_redirects=True)
            assert response.status_code in (200, 404), (code, path)
            html = response.data.decode()
            assert f'lang="{code}"' in html and ("⟦" not in html), (code, path)
            assert ('dir="rtl"' in html) == (code == "ar"), (code, path)


def test_mentoring_pair_steps_and_public_form_speak_through_the_catalogs(web_app, as_user, world, clock):
    """A proposed pair (introduce, confirm, decline forms), a closed one (outcome form), and
    the public form's errors and thank-you page."""
    from app.mentoring import pairs
    from app.mentoring.people import enrol_mentee

    with app_db(web_app) as db:
        mentee = db.get(Mentee, world.waiting_a)
        proposed = pairs.propose(db, mentee=mentee, mentor=db.get(Mentor, world.mentor_a), by=None, now=clock.now())
        closed = pairs.close(db, pair=db.get(Pair, world.pair_a), now=clock.now())
        other = enrol_mentee(db, site=db.get(Site, world.site_a), name="Declined A", profession="engineer",
                             email="declined.a@saathi.test", now=clock.now())
        pairs.decline(db, mentee=other, mentor_id=world.mentor_a, reason="", by=None, now=clock.now())
        ids = (proposed.id, closed.id, other.id)
    client = as_user("admin")
    choose(client, PSEUDO)
    data = data_texts(web_app)
    found = {}
    for path in (f"/mentoring/pairs/{ids[0]}", f"/mentoring/pairs/{ids[1]}", f"/mentoring/mentees/{ids[2]}"):
        left = leftover_english(client.get(path).data.decode(), data)
        if left:
            found[path] = left
    response = client.post("/join/open-a/mentor", data={"name": "", "language": "en"})
    refused = response.data.decode()
    assert response.status_code == 400 and "⟦" in refused
    if leftover_english(refused, data):
        found["refused"] = leftover_english(refused, data)
    response = client.post("/join/open-a/mentee", data={"name": "Zed", "profession": "cook",
                                                        "email": "zed@saathi.test", "language": "en", "consent": "y"})
    thanks = response.data.decode()
    assert response.status_code == 200 and "Zed" not in thanks and "⟦" in thanks
    if leftover_english(thanks, data + ["Zed"]):
        found["thanks"] = leftover_english(thanks, data + ["Zed"])
    assert found == {}

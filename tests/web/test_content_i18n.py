"""A trainer reads a pack's errors in their own language, with the file and line unchanged.

The validator builds every message as a catalog id with parameters (``app.i18n.Said``): the
check page says it in the UI language, the CLI in ``--lang`` or the terminal's locale, and the
English text stays what logs and old callers see.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.content.validator import validate_files
from app.models import Module, Pack
from tests.web.conftest import app_db, csrf_token
from tests.web.test_dashboard import text_of
from tests.web.test_workspace import upload

SCRIPTS = {"hi": r"[\u0900-\u097F]", "ta": r"[\u0B80-\u0BFF]"}


def broken_module(content_dir: str) -> tuple[str, list[str]]:
    """upi-safety.yaml with four mistakes, and its problems in English (``file:line: sentence``)
    as the validator reports them for the pack."""
    folder = Path(content_dir) / "digital-banking"
    text = (folder / "upi-safety.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    text = text.replace("    answer: 2\n", "    answer: 9\n", 1)
    hindi = next(row for row in lines if row.startswith("      hi:"))
    text = text.replace(hindi + "\n", "", 1)  # the first question loses its Hindi
    text = text.replace("\nfeedback:\n", "\nfeedbak:\n", 1)  # a misspelt key (and so a missing one)
    files = {path.name: path.read_bytes() for path in folder.iterdir() if path.is_file()}
    report = validate_files({**files, "upi-safety.yaml": text.encode()}, origin="digital-banking")
    return text, [str(problem) for problem in report.errors]


def choose(client, code: str) -> None:
    page = client.get("/").data.decode()
    assert client.post("/language", data={"language": code, "csrf_token": csrf_token(page)}).status_code == 302


def error_lines(page: str) -> list[str]:
    section = re.search(r'<section class="card" id="errors">(.*?)</section>', page, re.DOTALL)
    assert section, text_of(page)[:1500]
    return [text_of(item).strip() for item in re.findall(r"<li>(.*?)</li>", section[1], re.DOTALL)]


@pytest.mark.parametrize("code", ["hi", "ta"])
def test_a_broken_pack_is_explained_in_the_ui_language_with_file_and_line(web_app, web_config, as_user, world,
                                                                          code):
    client = as_user("trainer_a")
    choose(client, code)
    text, english = broken_module(web_config["CONTENT_DIR"])
    assert len(english) == 4 and any("has answer: 9, but only 3 options" in line for line in english)
    response = upload(client, "upi-safety.yaml", text.encode(), pack="digital-banking")
    page = client.get(response.headers["Location"]).data.decode()
    errors = error_lines(page)
    # The same problems at the same file and line, each said in the trainer's language.
    assert [line.split(": ", 1)[0] for line in errors] == [line.split(": ", 1)[0] for line in english]
    for line in errors:
        where, message = line.split(": ", 1)
        assert re.fullmatch(r"digital-banking/upi-safety\.yaml:\d+", where), line
        assert re.search(SCRIPTS[code], message), line  # in the trainer's script
        assert line not in english
    # The English sentences are nowhere on the page; their numbers and keys are.
    assert "is not among" not in page and "has answer: 9, but only" not in page
    assert "answer: 9" in text_of(page) and "feedbak" in text_of(page)


def test_the_content_page_lists_what_awaits_review_per_language(web_app, as_user, world):
    with app_db(web_app) as db:
        module = db.get(Module, world.module)
        pack = db.get(Pack, module.pack_id)
        pack.needs_review = {"ta": "native speaker", "te": "Telugu trainer"}
        module.title = {**module.title, "ta": "UPI பாதுகாப்பு"}
        db.add_all([pack, module])
        db.commit()
        key = module.key
    page = as_user("trainer_a").get("/workspace/content").data.decode()
    table = re.search(r'<table id="review">(.*?)</table>', page, re.DOTALL)[1]
    rows = {re.search(r"<code class=\"muted\">([a-z]+)</code>", row)[1]: text_of(row)
            for row in re.findall(r"<tr>(.*?)</tr>", table, re.DOTALL)[1:]}
    assert sorted(rows) == ["ar", "bn", "kn", "mr", "ta", "te"]  # hi, nb, nl were checked by speakers
    assert "locales/ta" in rows["ta"] and "native speaker" in rows["ta"]
    assert key in rows["ta"] and key not in rows["te"]  # the module has a Tamil text, no Telugu one
    assert "Telugu trainer" in rows["te"] and "native speaker" in rows["te"]


def test_the_cli_says_pack_errors_in_lang_or_the_locale_and_english_by_default(web_app, web_config, tmp_path):
    folder = tmp_path / "digital-banking"
    folder.mkdir()
    source = Path(web_config["CONTENT_DIR"]) / "digital-banking"
    for path in source.iterdir():
        if path.is_file():
            (folder / path.name).write_bytes(path.read_bytes())
    text, problems = broken_module(web_config["CONTENT_DIR"])
    (folder / "upi-safety.yaml").write_text(text, encoding="utf-8")
    answer = next(line for line in problems if "has answer: 9" in line).split(": ", 1)[0].rsplit(":", 1)[1]
    runner = web_app.test_cli_runner()
    plain = {"LANG": "C.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""}

    english = runner.invoke(args=["content", "validate", str(folder)], env=plain)
    assert english.exit_code == 1
    assert re.search(rf"upi-safety\.yaml:{answer}: item '[a-z-]+' has answer: 9, but only 3 options",
                     english.output)

    tamil = runner.invoke(args=["content", "validate", "--lang", "ta", str(folder)], env=plain)
    answer_line = next(line for line in tamil.output.splitlines() if f"upi-safety.yaml:{answer}: " in line)
    assert re.search(SCRIPTS["ta"], answer_line) and "but only" not in answer_line
    assert "தொகுப்புகள்: 1, தொகுதிகள்: 2, " in tamil.output  # the counts, and the cost table's headings
    assert "மொத்தப் பகுதிகள்: " in tamil.output and "total seg" not in tamil.output

    hindi = runner.invoke(args=["content", "validate", str(folder)], env={**plain, "LANG": "hi_IN.UTF-8"})
    answer_line = next(line for line in hindi.output.splitlines() if f"upi-safety.yaml:{answer}: " in line)
    assert re.search(SCRIPTS["hi"], answer_line) and "but only" not in answer_line
    assert "चेतावनी: " in hindi.output or "सूचना: " in hindi.output  # warnings and notes too

    unknown = runner.invoke(args=["content", "validate", "--lang", "xx", str(folder)], env=plain)
    assert unknown.exit_code == 2 and "--lang" in unknown.output


def test_the_import_summary_is_said_in_lang_too(web_app, web_config, tmp_path):
    folder = tmp_path / "digital-banking"
    folder.mkdir()
    for path in (Path(web_config["CONTENT_DIR"]) / "digital-banking").iterdir():
        if path.is_file():
            (folder / path.name).write_bytes(path.read_bytes())
    runner = web_app.test_cli_runner()
    result = runner.invoke(args=["content", "import", "--lang", "nb", str(folder)], env={"LANG": "C.UTF-8"})
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert re.fullmatch(r"\d+ opprettet, \d+ oppdatert, \d+ pensjonert, \d+ uendret", lines[-1]), lines[-1]
    assert any(re.match(r"(opprettet|oppdatert) digital-banking", line) for line in lines[:-1])
    again = runner.invoke(args=["content", "import", str(folder)], env={"LANG": "C.UTF-8"})
    assert re.fullmatch(r"0 created, 0 updated, 0 retired, \d+ unchanged", again.output.strip().splitlines()[-1])

"""``saathi content validate``: every mistake named with its file and line, every prompt priced."""
from __future__ import annotations

import io
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from app.config import REPO_ROOT
from app.content.render import render_question
from app.content.sources import PackSource
from app.content.validator import (
    validate_files,
    validate_paths,
    validate_source,
    validate_text,
    validate_zip,
)
from app.messaging.segments import count_segments

PACKS = Path(__file__).parent / "data" / "packs"
GOOD = PACKS / "good"
BROKEN = PACKS / "broken"
EXPECT = re.compile(r"#\s*expect:\s*(.+)$")


def expectations(root: Path) -> dict[tuple[str, int], str]:
    """``(file, line) -> words`` from the ``# expect:`` comments in the broken fixtures."""
    found = {}
    for path in sorted(root.rglob("*.yaml")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = EXPECT.search(line)
            if match:
                found[(path.relative_to(root).as_posix(), number)] = match.group(1).strip()
    return found


@pytest.fixture
def pack(tmp_path) -> Path:
    """An editable copy of the good fixture pack."""
    return Path(shutil.copytree(GOOD / "hand-hygiene", tmp_path / "hand-hygiene"))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_every_mistake_is_reported_on_its_line_and_nothing_else():
    expected = expectations(BROKEN)
    report = validate_paths([BROKEN])
    got = {}
    for problem in report.errors:
        assert problem.line, problem
        key = (Path(problem.file).resolve().relative_to(BROKEN.resolve()).as_posix(), problem.line)
        assert key not in got, f"two errors on one line: {got.get(key)} / {problem}"
        got[key] = problem.message
    assert set(got) == set(expected), "\n".join(str(problem) for problem in report.errors)
    for key, words in expected.items():
        assert words in got[key], f"{key}: expected {words!r} in {got[key]!r}"
    assert not report.ok


def test_the_message_a_trainer_reads(tmp_path):
    report = validate_paths([BROKEN / "translations" / "greetings.yaml"])
    lines = [str(problem) for problem in report.errors]
    name = (BROKEN / "translations" / "greetings.yaml")
    shown = next(line for line in lines if "polite-refusal' has no Hindi" in line)
    assert shown.endswith("greetings.yaml:21: item 'polite-refusal' has no Hindi text for option 3; add 'hi: ...'")
    assert shown.startswith(str(name.relative_to(Path.cwd())) if name.is_relative_to(Path.cwd()) else str(name))


@pytest.mark.parametrize("text, line, words", [
    ("slug: m\ntitle:\n\ten: x\n", 3, "a tab character; indent with spaces"),
    ("slug: m\ntitle:\n  en: a\n  en: b\n", 4, "'en' appears twice in the same block; keep one"),
    ("slug: m\ntitle:\n  en: \"unclosed\n  hi: x\n", 5, "YAML syntax error"),
    ("slug: m\ntitle: [en, hi\ngreeting: x\n", 3, "YAML syntax error"),
])
def test_yaml_syntax_errors_name_file_and_line(pack, text, line, words):
    (pack / "gloves.yaml").write_text(text, encoding="utf-8")
    report = validate_paths([pack])
    assert len(report.errors) == 1
    problem = report.errors[0]
    assert problem.file.endswith("hand-hygiene/gloves.yaml")
    assert (problem.line, words in problem.message) == (line, True), str(problem)


def test_a_file_that_is_not_utf8_is_named_with_its_line(pack):
    (pack / "gloves.yaml").write_bytes(b"slug: gloves\ntitle:\n  en: caf\xe9\n")
    assert [str(problem).split("/")[-1] for problem in validate_paths([pack]).errors] == [
        "gloves.yaml:3: this is not UTF-8 text; save the file as UTF-8"]


def test_a_module_listed_but_missing_and_a_file_not_listed(pack):
    (pack / "gloves.yaml").rename(pack / "glove.yaml")
    messages = sorted(str(problem).split("/")[-1] for problem in validate_paths([pack]).errors)
    assert messages == [
        "glove.yaml:1: glove.yaml is not listed in pack.yaml; add 'glove' to its modules (or delete the file)",
        ("pack.yaml:9: module 'gloves' is listed in pack.yaml but there is no gloves.yaml beside it; "
        "add the file or remove 'gloves' from modules"),
    ]


def test_two_packs_with_one_slug(tmp_path, pack):
    shutil.copytree(pack, tmp_path / "copy")
    report = validate_paths([tmp_path])
    copy_file = str(Path(report.errors[0].file))
    assert sorted(f"{Path(p.file).parent.name}:{p.line}: {p.message}" for p in report.errors) == [
        "copy:2: the pack's slug 'hand-hygiene' differs from its folder name 'copy'; rename one so they match",
        f"hand-hygiene:2: pack slug 'hand-hygiene' is also used by {copy_file}",
    ]


def test_a_module_file_validates_that_module_only(pack):
    edit(pack / "washing.yaml", '      hi: "हाथ कब धोएं?"\n', "")
    report = validate_paths([pack / "gloves.yaml"])
    assert report.ok and [m.module.slug for p in report.packs for m in p.modules] == ["gloves"]
    assert not report.packs[0].complete  # a part of a pack cannot be imported
    report = validate_paths([pack / "washing.yaml"])
    assert [problem.message for problem in report.errors] == [
        "item 'when-to-wash' has no Hindi text for the question; add 'hi: ...'"]


def test_the_good_pack_is_clean_and_priced_as_sent():
    report = validate_paths([GOOD])
    assert (report.errors, report.warnings) == ([], [])
    questions = [cost for cost in report.costs if cost.kind == "question" and cost.language == "nl"]
    assert [cost.item for cost in questions] == ["when-to-wash", "how-long", "torn-glove"]
    rendered = render_question("Wanneer was je je handen?", ["Alleen thuis", "Voor het eten en na de wc"], 1, 2)
    assert rendered.startswith("Q1/2 ")
    assert questions[0].units == count_segments(rendered).units
    rows = {(row.language, row.kind): row for row in report.cost_table()}
    assert rows[("hi", "question")].encoding == "UCS-2"
    assert rows[("en", "question")].encoding == "GSM-7"
    assert (rows[("en", "greeting")].count, rows[("en", "explanation")].count) == (2, 3)
    explanation = next(cost for cost in report.costs if cost.kind == "explanation" and cost.language == "en")
    assert explanation.units == len("The answer is 2: Wash before touching food and after the toilet.")


def test_the_shipped_content_validates_clean():
    report = validate_paths([REPO_ROOT / "content"])
    assert [str(problem) for problem in report.errors + report.warnings] == []
    assert {pack.pack.slug for pack in report.packs} >= {"digital-banking", "communication", "customer-service"}
    assert all(pack.complete and pack.modules for pack in report.packs)


def test_a_curly_quote_in_a_gsm_language_is_a_warning_with_the_fix(pack):
    edit(pack / "washing.yaml", "nb: \"Når vasker du hendene?\"", "nb: \"Når vasker du hendene – og hvorfor?\"")
    edit(pack / "gloves.yaml", "en: \"Go on working\"", "en: \"Don’t stop working\"")
    report = validate_paths([pack])
    assert report.ok
    warnings = [str(problem).split("/")[-1] for problem in report.warnings]
    assert [warning for warning in warnings if "look-alike" in warning] == [
        ("washing.yaml:17: the Norwegian text for the question of item 'when-to-wash' is sent as UCS-2 "
        "(70 characters per SMS instead of 160) because of look-alike characters: replace – with -"),
        ("gloves.yaml:20: the English text for option 1 of item 'torn-glove' is sent as UCS-2 "
        "(70 characters per SMS instead of 160) because of look-alike characters: replace ’ with '"),
    ]
    # ... and the price of not fixing them: both questions now take two SMS.
    assert [warning for warning in warnings if "look-alike" not in warning] == [
        ("washing.yaml:17: item 'when-to-wash': the Norwegian question with its options takes 2 SMS "
        "(85 UCS-2 characters); keep it to 1: shorten the question or the options"),
        ("gloves.yaml:15: item 'torn-glove': the English question with its options takes 2 SMS "
        "(101 UCS-2 characters); keep it to 1: shorten the question or the options"),
    ]
    rows = {(row.language, row.kind): row for row in report.cost_table()}
    assert rows[("nb", "question")].encoding == "mixed"


def test_a_letter_outside_gsm_is_named_without_a_fix(pack):
    edit(pack / "gloves.yaml", "nl: \"Doorwerken\"", "nl: \"Doorwerken, ideeën later\"")
    assert next(problem.message for problem in validate_paths([pack]).warnings) == (
        "the Dutch text for option 1 of item 'torn-glove' is sent as UCS-2 (70 characters per SMS instead of 160) "
        "because ë is not in the GSM alphabet")


def test_questions_longer_than_their_budget_are_warnings(pack):
    edit(pack / "gloves.yaml", "en: \"Your glove tears while cleaning. What do you do?\"",
         "en: \"" + "Your glove tears while you are cleaning a very dirty floor in the big hall. " * 2 + "\"")
    edit(pack / "gloves.yaml", "hi: \"सफ़ाई करते समय दस्ताना फट गया। क्या करें?\"",
         "hi: \"" + "सफ़ाई करते समय दस्ताना फट गया। " * 4 + "क्या करें?\"")
    report = validate_paths([pack])
    assert report.ok
    assert [problem.message for problem in report.warnings] == [
        ("item 'torn-glove': the English question with its options takes 2 SMS (199 GSM-7 characters); "
        "keep it to 1: shorten the question or the options"),
        ("item 'torn-glove': the Hindi question with its options takes 3 SMS (186 UCS-2 characters); "
        "keep it to 2: shorten the question or the options"),
    ]
    assert [problem.line for problem in report.warnings] == [15, 16]


def test_text_in_a_language_the_pack_does_not_declare_is_a_warning(pack):
    edit(pack / "pack.yaml", "languages: [en, hi, nb, nl]", "languages: [en, hi, nl]")
    edit(pack / "pack.yaml", "  nb: Håndhygiene\n", "")
    report = validate_paths([pack / "gloves.yaml"])
    assert report.ok
    assert report.warnings[0].message == ("the greeting has Norwegian text, but the pack does not list 'nb' in "
                                          "languages; it will never be sent")
    assert {cost.language for cost in report.costs} == {"en", "hi", "nl"}


# --- In memory: what the web upload uses ------------------------------------------------------

def files_of(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def test_a_pack_uploaded_as_files():
    files = files_of(GOOD / "hand-hygiene")
    assert validate_files(files, origin="upload").ok
    del files["audio/hi/when-to-wash.mp3"]
    report = validate_files(files, origin="upload")
    assert [str(problem) for problem in report.errors] == [
        ("upload/washing.yaml:35: the Hindi audio of item 'when-to-wash' is 'audio/hi/when-to-wash.mp3', but there "
        "is no upload/audio/hi/when-to-wash.mp3; add the file or fix the path")]


@pytest.mark.parametrize("prefix", ["", "hand-hygiene/"])
def test_a_pack_uploaded_as_a_zip_with_or_without_its_folder(prefix):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files_of(GOOD / "hand-hygiene").items():
            text = data.replace(b"answer: 2\n    explanation:\n      en: \"A torn", b"answer: 5\n    explanation:\n"
                                b"      en: \"A torn")
            archive.writestr(prefix + name, text)
    report = validate_zip(buffer.getvalue(), filename="hygiene.zip")
    assert [str(problem) for problem in report.errors] == [
        ("hygiene.zip/gloves.yaml:28: item 'torn-glove' has answer: 5, but only 2 options; "
        "the answer is the number of the right option (1 to 2)")]


def test_a_file_that_is_not_a_zip():
    assert [str(problem) for problem in validate_zip(b"PK? no", filename="pack.zip").errors] == [
        "pack.zip: this is not a zip file"]


def test_an_uploaded_module_is_checked_inside_its_live_pack():
    live = PackSource.from_dir(GOOD / "hand-hygiene", origin="hand-hygiene")
    text = (GOOD / "hand-hygiene" / "gloves.yaml").read_text(encoding="utf-8")
    draft = live.with_file("gloves.yaml", text.replace('    hi: "आज का सत्र कितना काम का था? 1 से 5 भेजें।"\n', ""))
    report = validate_source(draft, only=["gloves"])
    assert [str(problem) for problem in report.errors] == [
        "hand-hygiene/gloves.yaml:35: the rating question has no Hindi text; add 'hi: ...'"]
    new = live.with_file("masks.yaml", text.replace("slug: gloves", "slug: masks"))
    assert [problem.message for problem in validate_source(new).errors] == [
        "masks.yaml is not listed in pack.yaml; add 'masks' to its modules (or delete the file)"]


def test_a_lone_module_text_against_languages():
    text = (GOOD / "hand-hygiene" / "gloves.yaml").read_text(encoding="utf-8")
    assert validate_text("gloves.yaml", text, languages=["en", "hi"]).ok
    report = validate_text("gloves.yaml", text.replace("  nl: Handschoenen\n", ""))
    assert [str(problem) for problem in report.errors] == ["gloves.yaml:2: the title has no Dutch text; add 'nl: ...'"]
    assert {cost.language for cost in report.costs} == set()


# --- The command ---------------------------------------------------------------------------

def test_validate_command_passes_on_good_content_and_prints_the_cost_table(runner):
    result = runner.invoke(args=["content", "validate", str(GOOD)])
    assert result.exit_code == 0, result.output
    assert "1 pack, 2 modules, 3 items: 0 errors, 0 warnings" in result.output
    assert re.search(r"^Hindi\s+greeting\s+2\s+1\s+2\s+UCS-2$", result.output, re.MULTILINE), result.output
    assert re.search(r"^\s+question\s+3\s+1\s+3\s+GSM-7$", result.output, re.MULTILINE), result.output


def test_validate_command_fails_on_errors_with_file_and_line(runner):
    result = runner.invoke(args=["content", "validate", str(BROKEN / "listing")])
    assert result.exit_code == 1
    assert re.search(r"listing/pack\.yaml:9: module 'ghost' is listed in pack\.yaml", result.output)
    assert "5 errors, 0 warnings" in result.output


def test_validate_command_warnings_do_not_fail(runner, pack):
    edit(pack / "gloves.yaml", "en: \"Go on working\"", "en: \"Don’t stop working\"")
    result = runner.invoke(args=["content", "validate", str(pack)])
    assert result.exit_code == 0
    assert re.search(r"^warning: .*gloves\.yaml:20: .*replace ’ with '$", result.output, re.MULTILINE)


def test_validate_command_defaults_to_the_content_dir(app, runner):
    app.config["CONTENT_DIR"] = str(GOOD)
    result = runner.invoke(args=["content", "validate"])
    assert (result.exit_code, "1 pack, 2 modules" in result.output) == (0, True)
    result = runner.invoke(args=["content", "validate", str(PACKS / "nowhere")])
    assert result.exit_code == 1
    assert "nowhere: no such file or folder" in result.output

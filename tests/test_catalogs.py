"""The translation catalogs: complete, safe to format, and cheap where learners pay per segment."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from app.i18n import LANGUAGES
from app.messaging.segments import count_segments

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\{[a-z_]+\}|%\([a-z_]+\)[sd]")
SMS_TEXTS = ("app/learning/texts.py",)  # voice texts are spoken, not billed by the segment
TRANSLATED = [lang for lang in LANGUAGES if lang != "en"]


def catalog(lang: str):
    """The catalog, read strictly: a malformed entry (say, a msgid without its msgstr, as a
    careless merge leaves it) fails here instead of silently dropping that message."""
    with (ROOT / "locales" / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=lang, abort_invalid=True)


def sms_msgids() -> set[str]:
    ids = set()
    for path in SMS_TEXTS:
        for _, msgid, _, _ in extract_from_file("python", ROOT / path, keywords={"say": (2,), "N_": None}):
            ids.add(msgid)
    return ids


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_is_translated_with_the_same_placeholders(lang):
    problems = []
    for message in catalog(lang):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings) or message.fuzzy:
            problems.append(f"untranslated: {ids[0]!r}")
            continue
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        problems += [f"placeholders differ: {ids[0]!r} -> {s!r}" for s in strings
                     if set(PLACEHOLDER.findall(s)) != wanted]
    assert problems == []


def test_every_marked_string_in_the_code_is_in_every_catalog(tmp_path):
    """A string marked in app/ but never merged would show in English to everyone."""
    from app.cli.translate import extract_to

    extract_to(tmp_path / "fresh.pot")
    with (tmp_path / "fresh.pot").open("rb") as fh:
        marked = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    for lang in LANGUAGES:
        known = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog(lang) if m.id}
        assert marked - known == set(), f"{lang}: run `saathi translate update`, then translate"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_compiled_catalogs_have_no_format_errors(lang):
    cat = catalog(lang)
    errors = [(m.id, [str(e) for e in errs]) for m, errs in cat.check()]
    assert errors == []


def test_learner_texts_are_marked_and_found():
    ids = sms_msgids()
    assert "Correct!" in ids and len(ids) >= 15


@pytest.mark.parametrize("lang", ["nb", "nl"])
def test_learner_texts_in_gsm_languages_stay_gsm7_and_within_one_segment(lang):
    """A curly quote or an ë in a Norwegian or Dutch system message would more than double
    what every such SMS costs."""
    cat, costly = catalog(lang), []
    for msgid in sms_msgids():
        text = PLACEHOLDER.sub("x", cat[msgid].string)
        info = count_segments(text)
        if info.encoding != "GSM-7" or info.segments > 1:
            costly.append((msgid, info.encoding, info.segments))
    assert costly == []


def test_stats_count_translated_fuzzy_untranslated_and_missing_messages(tmp_path):
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    from app.cli.translate import catalog_stats

    template = Catalog(locale=None)
    for msgid in ("Hello", "Goodbye", "Thanks", "New"):
        template.add(msgid)
    with (tmp_path / "messages.pot").open("wb") as fh:
        write_po(fh, template)
    (tmp_path / "hi" / "LC_MESSAGES").mkdir(parents=True)
    catalog = Catalog(locale="hi")
    catalog.add("Hello", "नमस्ते")
    catalog.add("Goodbye", "अलविदा", flags=["fuzzy"])
    catalog.add("Thanks", "")
    with (tmp_path / "hi" / "LC_MESSAGES" / "messages.po").open("wb") as fh:
        write_po(fh, catalog)
    (row,) = catalog_stats(tmp_path, ["hi"], template=tmp_path / "messages.pot")
    assert row == {"language": "hi", "translated": 1, "fuzzy": 1, "untranslated": 1, "missing": 1,
                   "complete": False}
    (absent,) = catalog_stats(tmp_path, ["ta"], template=tmp_path / "messages.pot")
    assert absent["complete"] is False and absent["missing"] == 4


def test_stats_command_passes_on_the_shipped_catalogs(app):
    """What scripts/test runs before the suite: every shipped catalog complete, one row each."""
    result = app.test_cli_runner().invoke(args=["translate", "stats", "--check"])
    assert result.exit_code == 0, result.output
    assert [line.split()[0] for line in result.output.splitlines()[1:]] == sorted(LANGUAGES)
    assert "incomplete" not in result.output

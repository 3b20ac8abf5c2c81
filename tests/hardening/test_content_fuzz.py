"""A trainer's broken pack gets a list of errors, never a traceback.

Random mutations of a shipped, valid pack, at two levels: the YAML text (lines deleted,
duplicated, re-indented, cut short, garbage inserted) and the parsed tree (values of the
wrong type, keys removed or invented, huge or odd strings, alias bombs). The validator
must return a report for each; a report that says "ok" must describe a pack that loads.
"""
from __future__ import annotations

import copy
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from app.config import REPO_ROOT
from app.content.sources import Problem
from app.content.validator import validate_files, validate_text
from tests.hardening.fuzz import examples, tally

PACK = REPO_ROOT / "content" / "digital-banking"
# One module keeps an example at ~40 ms; the validator's work per module is the same for all.
FILES = {"pack.yaml": (PACK / "pack.yaml").read_text(encoding="utf-8").replace(
    "modules: [upi-safety, otp-fraud, booking-tickets]", "modules: [upi-safety]"),
    "upi-safety.yaml": (PACK / "upi-safety.yaml").read_text(encoding="utf-8")}
NAMES = sorted(FILES)
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
ODD_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True), st.just(""),
    st.text(max_size=50), st.just("x" * 5000), st.just("२" * 400), st.just("{{ name }} %s {0}"),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.just({"en": None}), st.just({"xx": "unknown language"}), st.just([{"en": "a"}] * 9),
)
GARBAGE = st.sampled_from(["\t", ":", "- ", "{", "[", "&a", "*a", "!!python/object:os.system", "%YAML 9.9",
                           "\x00", "\ufeff", "---\n", "...\n", "'", '"', "#", "|", ">", "? ", "<<: *a", "\u202e"])


def _report_is_sane(report, names) -> None:
    assert isinstance(report.ok, bool)
    for problem in [*report.errors, *report.warnings]:
        assert isinstance(problem, Problem) and problem.message and str(problem)
    if report.ok:
        assert report.packs, "a pack that validates must have loaded"


def _lines(text: str) -> list[str]:
    return text.split("\n")


@given(data=st.data())
@settings(FUZZ, max_examples=examples("content.text", 60))
def test_text_mutations_give_a_report_not_a_traceback(data):
    tally("content.text")
    files = dict(FILES)
    for _ in range(data.draw(st.integers(1, 4), label="edits")):
        name = data.draw(st.sampled_from(NAMES), label="file")
        lines = _lines(files[name])
        at = data.draw(st.integers(0, len(lines) - 1), label="line")
        edit = data.draw(st.sampled_from(["delete", "duplicate", "indent", "dedent", "truncate", "insert",
                                          "swap"]), label="edit")
        if edit == "delete":
            del lines[at]
        elif edit == "duplicate":
            lines.insert(at, lines[at])
        elif edit == "indent":
            lines[at] = "   " + lines[at]
        elif edit == "dedent":
            lines[at] = lines[at].lstrip()
        elif edit == "truncate":
            lines = lines[:at]
        elif edit == "insert":
            col = data.draw(st.integers(0, len(lines[at])), label="column")
            lines[at] = lines[at][:col] + data.draw(st.one_of(GARBAGE, st.text(max_size=8))) + lines[at][col:]
        elif edit == "swap":
            other = data.draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        files[name] = "\n".join(lines)
    if data.draw(st.booleans(), label="as bytes"):  # an upload: bytes, maybe not UTF-8 at all
        name = data.draw(st.sampled_from(NAMES))
        raw = files[name].encode("utf-8")
        cut = data.draw(st.integers(0, len(raw)))
        files[name] = raw[:cut] + data.draw(st.sampled_from([b"", b"\xff\xfe", b"\xc3", b"\x00"])) + raw[cut:]
    if data.draw(st.booleans(), label="drop a file"):
        files.pop(data.draw(st.sampled_from(NAMES)), None)
    _report_is_sane(validate_files(files), set(files))


def fresh(value):
    """A copy of a drawn value: ``st.just`` hands out one object every time, and a tree
    that held it twice could be edited into a cycle (or leak edits into later examples)."""
    return copy.deepcopy(value)


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*path, index))


def _dump(tree) -> str:
    out = io.StringIO()
    yaml = YAML(typ="safe", pure=True)
    yaml.allow_unicode = True
    yaml.dump(tree, out)
    return out.getvalue()


@given(data=st.data())
@settings(FUZZ, max_examples=examples("content.tree", 60))
def test_tree_mutations_give_a_report_not_a_traceback(data):
    tally("content.tree")
    files = dict(FILES)
    name = data.draw(st.sampled_from(NAMES), label="file")
    tree = YAML(typ="safe", pure=True).load(files[name])
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        paths = [p for p in _paths(tree) if p]
        if not paths:
            break
        path = data.draw(st.sampled_from(paths), label="path")
        parent = tree
        for step in path[:-1]:
            parent = parent[step]
        edit = data.draw(st.sampled_from(["replace", "delete", "add_key"]), label="edit")
        if edit == "replace":
            parent[path[-1]] = fresh(data.draw(ODD_VALUES, label="value"))
        elif edit == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[data.draw(st.text(min_size=1, max_size=12), label="key")] = fresh(data.draw(ODD_VALUES))
    try:
        files[name] = _dump(tree)
    except Exception:  # noqa: BLE001 - a tree YAML cannot write (e.g. a non-string key type); not the validator's input
        return
    _report_is_sane(validate_files(files), set(files))


def test_the_unmutated_pack_is_valid():
    assert validate_files(FILES).ok


def test_a_yaml_alias_bomb_is_an_error_not_a_hang():
    bomb = "a: &a ['x','x','x','x','x','x','x','x','x']\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},"
        f"*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]\n" for i in range(8))
    report = validate_files({**FILES, "upi-safety.yaml": bomb})
    assert not report.ok


@pytest.mark.parametrize("text", ["", "\x00", "- - - -", "!!binary AAAA", "a: !!python/name:os.system ''",
                                  "x" * 2_000_000, "\ufeffslug: x"])
def test_a_single_odd_module_file_is_reported(text):
    report = validate_text("odd.yaml", text, languages=["en"])
    assert not report.ok and all(isinstance(p, Problem) for p in report.errors)

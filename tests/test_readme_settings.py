"""README.md's settings table lists every ``SAATHI_*`` setting the code reads, and no other.

The settings are found in the code itself, not in a list kept beside it: the defaults in
app/config.py, every ``config["X"]``, ``config.get("X")`` and ``config.setdefault("X", ...)``
in app/ (including ``config.get(f"VOICE_{key}")``, resolved through the calls that pass
``key``), and every ``SAATHI_X`` environment variable read directly in app/ or scripts/.
A setting someone adds on another branch fails this test with the row to paste.
"""
from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SECTION = "## Configuration"
# Keys the code reads that are not for deployers: objects or switches tests inject.
NOT_SETTINGS = {
    "CLOCK": "tests inject a frozen clock object",
    "TRANSPORT_OBJECT": "tests inject a transport object",
    "WTF_CSRF_ENABLED": "tests switch CSRF checks off; production never should",
    "TESTING": "Flask's test mode",
    "LANGUAGES": "a copy of app/i18n.py's table that nothing reads; the languages are the folders in locales/",
}
NAME = re.compile(r"`SAATHI_([A-Z0-9_]+)`")


@dataclass(frozen=True)
class Read:
    key: str
    where: str  # file:line of one place that reads it


def _is_config(node: ast.AST) -> bool:
    return (isinstance(node, ast.Name) and node.id == "config") or (
        isinstance(node, ast.Attribute) and node.attr == "config")


def _is_environ(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ"


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _calls_to(tree: ast.AST, name: str):
    """Calls of a local function ``name(...)`` (or ``self.name``/``cls.name``), not of any
    method that happens to share the name (``app.extensions.get``)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if (isinstance(func, ast.Name) and func.id == name) or (
                    isinstance(func, ast.Attribute) and func.attr == name and isinstance(func.value, ast.Name)
                    and func.value.id in ("self", "cls")):
                yield node


def _template_keys(tree: ast.AST, parents: dict, joined: ast.JoinedStr) -> list[str]:
    """``f"VOICE_{key}"`` inside ``def get(key, ...)``: one key per ``get("LITERAL", ...)`` call."""
    parts = joined.values
    if len(parts) != 2 or _literal(parts[0]) is None or not isinstance(parts[1], ast.FormattedValue) \
            or not isinstance(parts[1].value, ast.Name):
        return []
    prefix, param = parts[0].value, parts[1].value.id
    func = parents.get(joined)
    while func is not None and not isinstance(func, ast.FunctionDef):
        func = parents.get(func)
    names = [a.arg for a in func.args.args] if func is not None else []
    if param not in names:
        return []
    at = names.index(param)
    return [prefix + call.args[at].value for call in _calls_to(tree, func.name)
            if len(call.args) > at and _literal(call.args[at]) is not None]


def _where(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def reads_in_python(path: Path) -> list[Read]:
    """Every setting this module reads from ``config`` or from ``SAATHI_*`` variables."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    rel = _where(path)
    found = []

    def add(key, node):
        found.append(Read(key, f"{rel}:{node.lineno}"))

    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            key = _literal(node.slice)
            if key and _is_config(node.value):
                add(key, node)
            elif key and key.startswith("SAATHI_") and _is_environ(node.value):
                add(key.removeprefix("SAATHI_"), node)
        elif isinstance(node, ast.Call) and node.args:
            func, first = node.func, node.args[0]
            if isinstance(func, ast.Attribute) and func.attr in ("get", "setdefault") and _is_config(func.value):
                if _literal(first):
                    add(first.value, node)
                elif isinstance(first, ast.JoinedStr):
                    for key in _template_keys(tree, parents, first):
                        add(key, node)
            is_env_read = (isinstance(func, ast.Attribute) and func.attr == "get" and _is_environ(func.value)) or (
                isinstance(func, ast.Attribute) and func.attr == "getenv")
            if is_env_read and (_literal(first) or "").startswith("SAATHI_"):
                add(first.value.removeprefix("SAATHI_"), node)
    return found


def reads_in_shell(path: Path) -> list[Read]:
    text = path.read_text(encoding="utf-8")
    rel = _where(path)
    return [Read(m.group(1), f"{rel}:{text.count(chr(10), 0, m.start()) + 1}")
            for m in re.finditer(r"\$\{?SAATHI_([A-Z0-9_]+)", text)]


def settings_in_code() -> dict[str, str]:
    """Setting name (without ``SAATHI_``) -> one place that reads or defines it."""
    from app.config import defaults

    found = {key: "app/config.py (defaults)" for key in defaults(str(ROOT / "instance"))}
    reads = [r for path in sorted((ROOT / "app").rglob("*.py")) if "migrations/versions" not in str(path)
             for r in reads_in_python(path)]
    for path in sorted((ROOT / "scripts").iterdir()):
        if path.suffix == ".py":
            reads += reads_in_python(path)
        elif path.is_file() and path.read_bytes()[:2] == b"#!":
            reads += reads_in_shell(path)
    for read in reads:
        found.setdefault(read.key, read.where)
    return {k: v for k, v in found.items() if k not in NOT_SETTINGS}


def table_lines() -> list[str]:
    """The lines of the first table under "## Configuration"."""
    text = README.read_text(encoding="utf-8")
    assert SECTION in text, f"README.md has no {SECTION!r} section"
    lines = []
    for line in text.split(SECTION, 1)[1].splitlines():
        if line.startswith("|"):
            lines.append(line)
        elif lines:
            break
    return lines


def cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def readme_rows() -> dict[str, list[str]]:
    """Setting name (without ``SAATHI_``) -> the cells of its row."""
    return {name: cells(line) for line in table_lines() for name in NAME.findall(cells(line)[0])}


def code_defaults() -> dict:
    """Defaults as a fresh app has them (app/config.py and the ``setdefault``s of the
    extensions), with this checkout's paths written relative to it, as the README does.
    Call with no ``SAATHI_*`` variables set."""
    from app import create_app
    from app.config import defaults

    app = create_app({"DATABASE_URL": "sqlite://"})
    found = {k: app.config[k] for k in settings_in_code() if k in app.config}
    app.extensions["saathi.engine"].dispose()
    found.update(defaults(str(ROOT / "instance")))
    return {k: v.replace(str(ROOT) + "/", "") if isinstance(v, str) else v for k, v in found.items()}


@pytest.fixture
def no_saathi_environment(monkeypatch):
    """CI sets some ``SAATHI_*`` variables; the defaults are what a bare environment gets."""
    import os

    for name in [n for n in os.environ if n.startswith("SAATHI_")]:
        monkeypatch.delenv(name)


def shown(value) -> set[str]:
    """Ways the README may write ``value`` in its default column."""
    if value is None:
        return {"-", "—", "unset", "none", "(unset)"}
    if isinstance(value, bool):
        return {str(value).lower(), str(int(value))}
    if isinstance(value, float) and value.is_integer():
        return {str(value), str(int(value))}
    return {str(value)}


def display(value) -> str:
    """How the failure message writes a default in a row to paste."""
    return "-" if value is None else f"`{str(value).lower() if isinstance(value, bool) else value}`"


def default_cell(cells: list[str]) -> set[str]:
    cell = cells[1] if len(cells) > 1 else ""
    return {part.strip().strip("`").strip() for part in re.split(r"[;,]| or ", cell)} | {cell.strip("`")}


def test_every_setting_the_code_reads_is_in_the_readme_table_and_no_other(no_saathi_environment):
    code, rows = settings_in_code(), readme_rows()
    missing = sorted(set(code) - set(rows))
    stale = sorted(set(rows) - set(code))
    defaults = code_defaults()
    message = []
    if missing:
        message.append(f"README.md's table under {SECTION!r} lacks {len(missing)} setting(s) the code reads. "
                       "Add these rows (and say what each does):")
        for key in missing:
            default = "DEFAULT (the code's fallback)" if key not in defaults else display(defaults[key])
            message.append(f"| `SAATHI_{key}` | {default} | WHAT IT DOES (read in {code[key]}) |")
    if stale:
        message.append("README.md lists setting(s) no code reads any more; remove their rows: "
                       + ", ".join(f"SAATHI_{k}" for k in stale)
                       + ". (If the code does read one, in a way tests/test_readme_settings.py cannot see, "
                         "teach the test; if it is not for deployers, add it to NOT_SETTINGS there.)")
    assert not message, "\n".join(message)


def test_the_readme_shows_each_setting_with_the_code_s_default(no_saathi_environment):
    rows, defaults = readme_rows(), code_defaults()
    wrong = [f"`SAATHI_{key}`: the README's default is {rows[key][1]!r}, the code's is {value!r} "
             f"(write one of {sorted(shown(value))})"
             for key, value in sorted(defaults.items())
             if key in rows and not shown(value) & default_cell(rows[key])]
    assert not wrong, "README.md's settings table has stale defaults:\n" + "\n".join(wrong)


def test_the_table_has_one_setting_per_row_each_with_a_meaning():
    for line in table_lines()[2:]:  # after the header and its rule
        row = cells(line)
        assert len(NAME.findall(row[0])) == 1, f"one setting per row, please: {line}"
        assert len(row) >= 3 and row[2], f"say what it does: {line}"


PROBE = """
import os
def f(app, config, other):
    app.config["ALPHA"]; config.get("BETA", 1); app.config.setdefault("GAMMA", 2)
    os.environ.get("SAATHI_DELTA"); os.environ["SAATHI_EPSILON"]; os.getenv("SAATHI_ZETA")
    app.config["WRITTEN"] = 1; other["NOT_CONFIG"]; os.environ.get("HOME"); app.config.update(LOUD=1)
    def get(key, default):
        return config.get(f"VOICE_{key}")
    get("ETA", 1); get("THETA", 2)
"""


def test_the_finder_sees_every_way_the_code_reads_a_setting(tmp_path):
    """Literal keys, ``get``/``setdefault``, the f-string pattern, environment variables in
    Python and shell; writes, other mappings and other variables are not settings."""
    module = tmp_path / "probe.py"
    module.write_text(PROBE, encoding="utf-8")
    assert {r.key for r in reads_in_python(module)} == {
        "ALPHA", "BETA", "GAMMA", "DELTA", "EPSILON", "ZETA", "VOICE_ETA", "VOICE_THETA"}
    script = tmp_path / "probe.sh"
    script.write_text('#!/bin/sh\nrun --port "${SAATHI_PORT:-5000}" $SAATHI_HOST\nexport SAATHI_SET=1\n')
    assert [(r.key, r.where.endswith(":2")) for r in reads_in_shell(script)] == [("PORT", True), ("HOST", True)]


def test_a_missing_row_fails_naming_the_row_to_add(monkeypatch, no_saathi_environment):
    """What the lead sees when another branch adds a setting without its README row."""
    real = settings_in_code()
    monkeypatch.setattr(sys.modules[__name__], "settings_in_code", lambda: {**real, "NEW_KNOB": "app/x.py:3"})
    with pytest.raises(AssertionError) as failure:
        test_every_setting_the_code_reads_is_in_the_readme_table_and_no_other(None)
    assert ("| `SAATHI_NEW_KNOB` | DEFAULT (the code's fallback) | WHAT IT DOES (read in app/x.py:3) |"
            in str(failure.value))

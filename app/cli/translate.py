"""``saathi translate``: pybabel's extract/update/compile with the project's paths filled in."""
from __future__ import annotations

from pathlib import Path

import click
from babel.messages.frontend import CommandLineInterface
from flask.cli import AppGroup

from app.config import REPO_ROOT
from app.i18n import LANGUAGES

translate_cli = AppGroup("translate", help="Translation catalogs in locales/.")
POT = REPO_ROOT / "locales" / "messages.pot"
LOCALES = REPO_ROOT / "locales"


def pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


@translate_cli.command("extract")
def extract() -> None:
    """Collect every marked string from app/ into locales/messages.pot."""
    extract_to(POT)


def extract_to(pot) -> None:
    pybabel("extract", "-F", str(REPO_ROOT / "babel.cfg"), "-k", "_l", "-k", "N_", "-k", "say:2",
            "--no-location", "-o", str(pot), str(REPO_ROOT / "app"))


@translate_cli.command("update")
def update() -> None:
    """Extract, then merge new strings into every language's catalog."""
    extract.callback()
    for lang in LANGUAGES:
        po = LOCALES / lang / "LC_MESSAGES" / "messages.po"
        if po.exists():
            pybabel("update", "-i", str(POT), "-d", str(LOCALES), "-l", lang, "--no-fuzzy-matching")
        else:
            pybabel("init", "-i", str(POT), "-d", str(LOCALES), "-l", lang)


@translate_cli.command("compile")
def compile_() -> None:
    """Build the .mo files (done by scripts/dev and scripts/test; not committed)."""
    pybabel("compile", "-f", "-d", str(LOCALES))
    click.echo("catalogs compiled")


def catalog_stats(locales=LOCALES, codes=None, template=None) -> list[dict]:
    """Per language: how many messages are translated, fuzzy, untranslated and missing
    (in ``template``, usually a fresh extraction of the code, but not in the catalog), read
    through Babel's catalog API. English is the source language: its empty msgstrs are the
    msgids themselves, so only fuzzy and missing entries count there."""
    from babel.messages.pofile import read_po

    wanted = None
    if template is not None:
        with open(template, "rb") as fh:
            wanted = {message.id for message in read_po(fh) if message.id}
    rows = []
    for code in codes or LANGUAGES:
        path = Path(locales) / code / "LC_MESSAGES" / "messages.po"
        if not path.exists():
            rows.append({"language": code, "translated": 0, "fuzzy": 0, "untranslated": 0,
                         "missing": len(wanted or ()), "complete": False})
            continue
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=code)
        messages = [message for message in catalog if message.id]
        fuzzy = sum(1 for message in messages if message.fuzzy)
        empty = sum(1 for message in messages if not message.fuzzy and not _translated(message))
        untranslated = 0 if code == "en" else empty
        translated = len(messages) - fuzzy - untranslated
        missing = len(wanted - {message.id for message in messages}) if wanted is not None else 0
        rows.append({"language": code, "translated": translated, "fuzzy": fuzzy, "untranslated": untranslated,
                     "missing": missing, "complete": not (fuzzy or untranslated or missing)})
    return rows


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings)


@translate_cli.command("stats")
@click.option("--check", is_flag=True, help="Exit with status 1 if a shipped catalog is incomplete.")
def stats(check: bool) -> None:
    """Translated / fuzzy / untranslated / missing messages per language (as pybabel
    statistics); missing = marked in the code but not yet in the catalog (run update)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        template = Path(folder) / "messages.pot"
        extract_to(template)
        rows = catalog_stats(template=template)
    click.echo(f"{'language':<9} {'translated':>10} {'fuzzy':>6} {'untranslated':>12} {'missing':>8}")
    for row in rows:
        click.echo(f"{row['language']:<9} {row['translated']:>10} {row['fuzzy']:>6} {row['untranslated']:>12} "
                   f"{row['missing']:>8}{'' if row['complete'] else '  incomplete'}")
    incomplete = [row["language"] for row in rows if not row["complete"]]
    if incomplete and check:
        raise click.ClickException(f"incomplete catalogs: {', '.join(incomplete)}; run `saathi translate "
                                   "update`, translate every new msgstr and remove the fuzzy flags")

"""``saathi translate``: pybabel's extract/update/compile with the project's paths filled in."""
from __future__ import annotations

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

"""``saathi reports export``: a site's weekly or monthly summary as CSV, for a spreadsheet
(UTF-8 with BOM, headers in a language) or, with ``--columns machine``, for scripts."""
from __future__ import annotations

from zoneinfo import ZoneInfo

import click
from flask.cli import AppGroup
from sqlmodel import select

from app.clock import get_clock
from app.db import session_scope
from app.i18n import LANGUAGES
from app.models import Site
from app.reports.csvfile import COLUMN_STYLES, LOCALISED
from app.reports.summary import KINDS, period_for, site_summary, summary_csv

reports_cli = AppGroup("reports", help="Site summaries as files.")


@reports_cli.command("export")
@click.argument("site")
@click.option("--kind", type=click.Choice(KINDS), default="weekly", show_default=True)
@click.option("--period", help="A day of the week (YYYY-MM-DD) or the month (YYYY-MM); default: the current one.")
@click.option("--columns", type=click.Choice(COLUMN_STYLES), default=LOCALISED, show_default=True,
              help="localised: BOM, headers in --language, the language's list separator; machine: "
                   "English column names, comma-separated, no BOM.")
@click.option("--language", default="en", show_default=True, help="Language of the headers (a code Saathi speaks).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="File to write (default: stdout).")
def export(site: str, kind: str, period: str | None, columns: str, language: str, output: str | None):
    """Write SITE's (name or id) summary for one period as CSV."""
    if language not in LANGUAGES:
        raise click.BadParameter(f"'{language}' is not one of {', '.join(LANGUAGES)}", param_hint="--language")
    with session_scope() as db:
        found = db.get(Site, int(site)) if site.isdigit() else db.exec(select(Site).where(Site.name == site)).first()
        if found is None:
            raise click.ClickException(f"no site '{site}'")
        today = get_clock().now().astimezone(ZoneInfo(found.timezone)).date()
        try:
            chosen = period_for(kind, period, today)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--period") from None
        text = summary_csv(site_summary(db=db, site=found, period=chosen), style=columns, language=language)
    if output:
        with open(output, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
    else:
        click.echo(text, nl=False)

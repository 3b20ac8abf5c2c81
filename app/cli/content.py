"""``saathi content validate|list|import``: a trainer's loop of edit, check, price, go live.

Thin adapters over ``app.content.validator`` and ``app.content.importer``; with no PATH
they work on the app's ``CONTENT_DIR`` (the repo's ``content/`` by default).
"""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlmodel import func, select

from app.content.importer import import_packs
from app.content.schema import language_name
from app.content.text_kinds import TEXT_KINDS
from app.content.validator import Report, validate_paths
from app.db import session_scope
from app.i18n import N_, say
from app.models import Item, Module, Pack

content_cli = AppGroup("content", help="Content packs: validate, list, import.")

PATHS = click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
LANG = click.option("--lang", "lang", default=None, metavar="CODE",
                    help="Language of the messages (default: the environment's locale, else English).")


def message_language(lang: str | None, environ=None) -> str:
    """``--lang``, else the first of LC_ALL, LC_MESSAGES, LANG Saathi speaks (``ta_IN.UTF-8``
    -> ``ta``), else English: a trainer's terminal already says which language they read."""
    import os

    from app.i18n import DEFAULT_LANGUAGE, LANGUAGES

    if lang:
        if lang not in LANGUAGES:
            raise click.BadParameter(f"Saathi speaks {', '.join(LANGUAGES)}", param_hint="--lang")
        return lang
    environ = os.environ if environ is None else environ
    for key in ("LC_ALL", "LC_MESSAGES", "LANG"):
        code = (environ.get(key) or "").split(".")[0].split("_")[0].lower()
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


def _paths(paths: tuple[Path, ...]) -> list[Path]:
    return list(paths) or [Path(current_app.config["CONTENT_DIR"])]


def _echo_problems(report: Report, lang: str = "en") -> None:
    for problem in report.errors:
        click.echo(problem.said(lang))
    for problem in report.warnings:
        click.echo(say(lang, "warning: {problem}", problem=problem.said(lang)))
    for problem in report.notes:
        click.echo(say(lang, "note: {problem}", problem=problem.said(lang)))
    modules = sum(len(pack.modules) for pack in report.packs)
    items = sum(len(module.module.items) for pack in report.packs for module in pack.modules)
    if lang != "en":  # counts without plural endings, which the catalog cannot inflect here
        click.echo(say(lang, "packs: {packs}, modules: {modules}, items: {items}; errors: {errors}, "
                             "warnings: {warnings}", packs=len(report.packs), modules=modules, items=items,
                       errors=len(report.errors), warnings=len(report.warnings)))
        return
    click.echo(f"{_n(len(report.packs), 'pack')}, {_n(modules, 'module')}, {_n(items, 'item')}: "
               f"{_n(len(report.errors), 'error')}, {_n(len(report.warnings), 'warning')}")


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _echo_costs(report: Report, lang: str = "en") -> None:
    rows = report.cost_table()
    if not rows:
        return
    if lang != "en":
        _echo_costs_in(rows, lang)
        return
    click.echo("\nSMS cost for one learner receiving every module once "
               "(explanations priced as if every answer were wrong):")
    click.echo(f"{'language':<10} {'prompt':<12} {'count':>5} {'max seg':>7} {'total seg':>9}  encoding")
    previous = None
    for row in rows:
        name = language_name(row.language) if row.language != previous else ""
        previous = row.language
        click.echo(f"{name:<10} {row.kind:<12} {row.count:>5} {row.max_segments:>7} "
                   f"{row.total_segments:>9}  {row.encoding}")
    totals: dict[str, int] = {}
    for row in rows:
        totals[row.language] = totals.get(row.language, 0) + row.total_segments
    click.echo("total: " + ", ".join(f"{language_name(code)} {n}" for code, n in totals.items()) + " segments")


def _echo_costs_in(rows, lang: str) -> None:
    """The cost table in ``lang``, with the headings the workspace's check page uses."""
    from app.i18n import said

    click.echo("\n" + say(lang, "For one learner receiving every module once; wrong-answer replies priced as if "
                               "every answer were wrong."))
    click.echo(" | ".join(say(lang, heading) for heading in (N_("Language"), N_("Message"), N_("Count"),
                                                            N_("Longest (segments)"), N_("Total segments"),
                                                            N_("Encoding"))))
    previous = None
    for row in rows:
        name = said(language_name(row.language), lang) if row.language != previous else ""
        previous = row.language
        encoding = say(lang, N_("mixed")) if row.encoding == "mixed" else row.encoding
        click.echo(f"{name} | {say(lang, TEXT_KINDS.get(row.kind, row.kind))} | {row.count} | {row.max_segments} | "
                   f"{row.total_segments} | {encoding}")
    totals: dict[str, int] = {}
    for row in rows:
        totals[row.language] = totals.get(row.language, 0) + row.total_segments
    click.echo(say(lang, N_("Total segments")) + ": " +
               ", ".join(f"{said(language_name(code), lang)} {n}" for code, n in totals.items()))


@content_cli.command("validate")
@PATHS
@LANG
def validate_cmd(paths: tuple[Path, ...], lang: str | None):
    """Check packs (a content folder, pack folders or module files) and price every prompt.

    Exits with status 1 if anything is an error; warnings do not fail.
    """
    report = validate_paths(_paths(paths))
    lang = message_language(lang)
    _echo_problems(report, lang)
    _echo_costs(report, lang)
    if not report.ok:
        raise SystemExit(1)


@content_cli.command("list")
@PATHS
@LANG
@click.option("--db", "from_db", is_flag=True, help="List what is imported instead of the files.")
def list_cmd(paths: tuple[Path, ...], from_db: bool, lang: str | None):
    """Every PACK/MODULE id with its languages and item count."""
    if from_db:
        with session_scope() as db:
            rows = db.exec(select(Module, Pack, func.count(Item.id))
                           .join(Pack, Module.pack_id == Pack.id)
                           .outerjoin(Item, (Item.module_id == Module.id) & Item.active)
                           .group_by(Module.id, Pack.id).order_by(Pack.slug, Module.position)).all()
            for module, pack, count in rows:
                retired = "" if module.active else "  (retired)"
                click.echo(f"{module.key}\t{','.join(pack.languages)}\t{_n(count, 'item')}{retired}")
        return
    report = validate_paths(_paths(paths))
    for pack in report.packs:
        for module in pack.modules:
            click.echo(f"{pack.pack.slug}/{module.module.slug}\t{','.join(pack.pack.languages)}\t"
                       f"{_n(len(module.module.items), 'item')}")
    for problem in report.errors:
        click.echo(problem.said(message_language(lang)), err=True)
    if not report.ok:
        raise SystemExit(1)


@content_cli.command("import")
@PATHS
@LANG
def import_cmd(paths: tuple[Path, ...], lang: str | None):
    """Validate, then put packs live; nothing is imported if anything is an error.

    A module file imports its whole pack. Re-importing updates texts in place; items and
    modules no longer in the YAML are retired, never deleted.
    """
    report = validate_paths(_paths(paths), whole_packs=True)
    if not report.ok:
        lang = message_language(lang)
        _echo_problems(report, lang)
        click.echo(say(lang, "nothing imported: fix the errors above first"))
        raise SystemExit(1)
    with session_scope() as db:
        summary = import_packs(db=db, packs=report.packs)
    for line in summary.lines(message_language(lang)):
        click.echo(line)

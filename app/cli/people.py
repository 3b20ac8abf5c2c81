"""``saathi sites`` and ``saathi learners``: registration from the command line."""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlmodel import select

from app.clock import get_clock
from app.db import session_scope
from app.learning.policy import current_policy
from app.learning.progress import learner_record
from app.models import Learner, Site
from app.people.learners import import_learners
from app.people.phones import PhoneError, normalize_phone
from app.people.sites import SiteError, add_site

sites_cli = AppGroup("sites", help="Workplaces: country, timezone and send window.")
learners_cli = AppGroup("learners", help="Learners: import from CSV, inspect.")


@sites_cli.command("add")
@click.argument("name")
@click.option("--country", default="IN", show_default=True, help="ISO country code (default region for phone numbers).")
@click.option("--timezone", help="IANA timezone; defaults to the country's.")
@click.option("--window", help="Local send window HH:MM-HH:MM (a new site: SAATHI_SEND_WINDOW_START/_END, "
                               "09:00-20:00 unless set; an existing one keeps its own).")
@click.option("--daily-cap", type=int, help="Most prompts per learner per day (default: SAATHI_DAILY_CAP).")
def sites_add(name, country, timezone, window, daily_cap):
    """Create or update a site."""
    start, _, end = (window or "").partition("-")
    try:
        with session_scope() as db:
            site = add_site(db=db, name=name, country=country, timezone=timezone, send_start=start or None,
                            send_end=end or None, daily_cap=daily_cap, default_window=current_policy().window)
            click.echo(f"site {site.name}: {site.country}, {site.timezone}, {site.send_start}-{site.send_end}")
    except SiteError as exc:
        raise click.ClickException(str(exc)) from None


@sites_cli.command("list")
def sites_list():
    """Every site with its settings."""
    with session_scope() as db:
        for site in db.exec(select(Site).order_by(Site.name)).all():
            click.echo(f"{site.name}\t{site.country}\t{site.timezone}\t{site.send_start}-{site.send_end}")


@learners_cli.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def learners_import(csv_file: Path):
    """Import learners from CSV (phone,name,site,language,cohort[,channel,timezone]).

    Bad rows are reported by row number; good rows import; re-import updates.
    """
    text = csv_file.read_text(encoding="utf-8-sig")
    with session_scope() as db:
        report = import_learners(db=db, csv_text=text, now=get_clock().now(),
                                 default_window=current_policy().window)
    for name in report.sites_created:
        click.echo(f"created site {name}")
    click.echo(f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
               f"{len(report.errors)} rejected")
    for error in report.errors:
        click.echo(f"{csv_file.name}: {error}", err=True)
    if report.errors:
        raise SystemExit(1)


@learners_cli.command("show")
@click.argument("phone")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def learners_show(phone: str, as_json: bool):
    """A learner's record: pending prompt, answers and cards with their next due time."""
    with session_scope() as db:
        learner = _find(db, phone)
        record = learner_record(db=db, learner=learner)
    if as_json:
        click.echo(json.dumps(record, ensure_ascii=False, indent=2, default=str))
        return
    click.echo(f"{record['name']} {record['phone']} ({record['language']}, {record['status']})")
    pending = record["pending_prompt"]
    click.echo(f"pending: {pending['kind']} since {pending['sent_at']}" if pending else "pending: none")
    click.echo(f"answers: {len(record['answers'])}, cards: {len(record['cards'])}")
    for card in record["cards"]:
        click.echo(f"  {card['item']}: due {card['due']} (reps {card['reps']}, lapses {card['lapses']})")


def _find(db, phone: str) -> Learner:
    """The learner with ``phone``, written as E.164 or as a local number of any site's country."""
    candidates = {phone}
    for region in [None, *db.exec(select(Site.country).distinct()).all()]:
        try:
            candidates.add(normalize_phone(phone, region))
        except PhoneError:
            pass
    learner = db.exec(select(Learner).where(Learner.phone.in_(candidates))).first()
    if learner is None:
        raise click.ClickException(f"no learner with phone {phone}")
    return learner

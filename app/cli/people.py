"""``saathi sites`` and ``saathi learners``: registration from the command line."""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlmodel import select

from app.clock import get_clock
from app.db import session_scope
from app.i18n import LANGUAGES
from app.learning.policy import current_policy
from app.learning.progress import learner_record
from app.models import Cohort, Learner, Site
from app.models.people import CHANNELS
from app.people.changes import (
    LearnerError,
    deactivate,
    edit_learner,
    late_join_window,
    move_learner,
    reactivate,
)
from app.people.learners import import_learners
from app.people.phones import PhoneError, normalize_phone
from app.people.sites import SiteError, add_site, change_site_settings, set_dlt

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
    """Create a site (an existing one is updated as by `sites set`, keeping what is not given)."""
    start, _, end = (window or "").partition("-")
    try:
        with session_scope() as db:
            site = db.exec(select(Site).where(Site.name == name.strip())).first()
            if site is not None and site.country == country.strip().upper():
                _set(db, site, timezone=timezone or site.timezone, start=start or site.send_start,
                     end=end or site.send_end, daily_cap=daily_cap)
            else:
                site = add_site(db=db, name=name, country=country, timezone=timezone, send_start=start or None,
                                send_end=end or None, daily_cap=daily_cap,
                                default_window=current_policy(current_app).window)
            click.echo(f"site {site.name}: {site.country}, {site.timezone}, {site.send_start}-{site.send_end}")
    except SiteError as exc:
        raise click.ClickException(str(exc)) from None


@sites_cli.command("set")
@click.argument("name")
@click.option("--timezone", help="IANA timezone.")
@click.option("--window", help="Local send window HH:MM-HH:MM.")
@click.option("--daily-cap", type=int, help="Most prompts per learner per day.")
@click.option("--default-cap", is_flag=True, help="Use SAATHI_DAILY_CAP again.")
def sites_set(name, timezone, window, daily_cap, default_cap):
    """Change a site's timezone, send window or daily cap; what is planned moves with it (audited)."""
    try:
        with session_scope() as db:
            site = db.exec(select(Site).where(Site.name == name.strip())).first()
            if site is None:
                raise click.ClickException(f"no site '{name}'")
            start, _, end = (window or f"{site.send_start}-{site.send_end}").partition("-")
            cap = None if default_cap else daily_cap if daily_cap is not None else site.daily_cap
            _set(db, site, timezone=timezone or site.timezone, start=start, end=end, daily_cap=cap)
            click.echo(f"site {site.name}: {site.timezone}, {site.send_start}-{site.send_end}, "
                       f"cap {site.daily_cap or 'default'}")
    except SiteError as exc:
        raise click.ClickException(str(exc)) from None


def _set(db, site: Site, *, timezone, start, end, daily_cap) -> None:
    change = change_site_settings(db, site=site, now=get_clock().now(), user_id=None, timezone=timezone,
                                  send_start=start, send_end=end, daily_cap=daily_cap)
    for key, (old, new) in change.fields.items():
        click.echo(f"{key}: {old} -> {new}")
    for key, count in change.rescheduled.as_dict().items():
        click.echo(f"rescheduled {key.replace('_', ' ')}: {count}")


@sites_cli.command("dlt")
@click.argument("name")
@click.option("--entity-id", default="", help="DLT principal entity ID (India); empty clears it.")
@click.option("--header", default="", help="DLT sender header, e.g. SAATHI; empty clears it.")
def sites_dlt(name, entity_id, header):
    """Record a site's DLT registration: SMS to Indian numbers then carry its IDs (audited)."""
    try:
        with session_scope() as db:
            site = db.exec(select(Site).where(Site.name == name.strip())).first()
            if site is None:
                raise click.ClickException(f"no site '{name}'")
            set_dlt(db, site=site, entity_id=entity_id, header=header, now=get_clock().now(), user_id=None)
            click.echo(f"site {site.name}: DLT entity {site.dlt_entity_id or '-'}, header {site.dlt_header or '-'}")
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
@click.option("--held-sessions/--no-held-sessions", default=True, show_default=True,
              help="Send a learner new to a cohort the quiz of its sessions held in the last "
                   "SAATHI_LATE_JOIN_DAYS days.")
def learners_import(csv_file: Path, held_sessions: bool):
    """Import learners from CSV (phone,name,site,language,cohort[,channel,timezone]).

    Bad rows are reported by row number; good rows import; re-import updates.
    """
    text = csv_file.read_text(encoding="utf-8-sig")
    with session_scope() as db:
        report = import_learners(db=db, csv_text=text, now=get_clock().now(),
                                 late_join=late_join_window(current_app.config, wanted=held_sessions),
                                 default_window=current_policy(current_app).window)
    for name in report.sites_created:
        click.echo(f"created site {name}")
    click.echo(f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
               f"{len(report.errors)} rejected")
    if report.caught_up:
        click.echo(f"{report.caught_up} got the quiz of sessions already held")
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


@learners_cli.command("set")
@click.argument("phone")
@click.option("--name")
@click.option("--language", type=click.Choice(sorted(LANGUAGES)))
@click.option("--channel", type=click.Choice(CHANNELS))
@click.option("--timezone", help="The learner's own IANA timezone; 'site' for the site's.")
@click.option("--cohort", help="Move to this cohort (another site's moves the learner there).")
@click.option("--held-sessions/--no-held-sessions", default=True, show_default=True,
              help="On a move, send the quiz of the new cohort's sessions held lately.")
def learners_set(phone, name, language, channel, timezone, cohort, held_sessions):
    """Change a learner's details or cohort; what is planned is rescheduled (audited)."""
    now = get_clock().now()
    with session_scope() as db:
        learner = _find(db, phone)
        if cohort:
            target = db.exec(select(Cohort).where(Cohort.name == cohort)).first()
            if target is None:
                raise click.ClickException(f"no cohort '{cohort}'")
            moved = move_learner(db, learner=learner, cohort=target, now=now, user_id=None,
                                 late_join=late_join_window(current_app.config, wanted=held_sessions))
            _report(moved)
        zone = learner.timezone if timezone is None else None if timezone == "site" else timezone
        try:
            _report(edit_learner(db, learner=learner, now=now, user_id=None, name=name or learner.name,
                                 language=language or learner.language, channel=channel or learner.channel,
                                 timezone=zone))
        except LearnerError as exc:
            raise click.ClickException(str(exc)) from None


@learners_cli.command("deactivate")
@click.argument("phone")
@click.option("--reason", default="", help="Why (shown to supervisors).")
def learners_deactivate(phone, reason):
    """Pause a learner: nothing more is sent; history is kept."""
    _status(phone, lambda db, learner, now: deactivate(db, learner=learner, now=now, user_id=None, reason=reason))


@learners_cli.command("reactivate")
@click.argument("phone")
@click.option("--held-sessions/--no-held-sessions", default=True, show_default=True,
              help="Also send the quiz of sessions the cohort held while the learner was paused.")
def learners_reactivate(phone, held_sessions):
    """Resume a paused learner where they stopped (not one who sent STOP)."""
    window = late_join_window(current_app.config, wanted=held_sessions)
    _status(phone, lambda db, learner, now: reactivate(db, learner=learner, now=now, user_id=None, late_join=window))


def _status(phone, change) -> None:
    with session_scope() as db:
        learner = _find(db, phone)
        try:
            _report(change(db, learner, get_clock().now()))
        except LearnerError as exc:
            raise click.ClickException(str(exc)) from None


def _report(change) -> None:
    for key, (old, new) in change.fields.items():
        if key not in ("cohort_id", "site_id"):
            click.echo(f"{key}: {old} -> {new}")
    for key, count in change.rescheduled.as_dict().items():
        click.echo(f"rescheduled {key.replace('_', ' ')}: {count}")
    for session in change.sessions_queued:
        click.echo(f"queued the quiz of session {session.id}")


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

"""``saathi mentoring``: enrol mentors and mentees, run the follow-up pass, export or erase."""
from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import AppGroup
from sqlmodel import select

from app.clock import get_clock
from app.db import session_scope
from app.mentoring import followup, privacy
from app.mentoring.dashboard import programme
from app.mentoring.people import MentoringError, enrol_mentee, enrol_mentor
from app.models import Mentee, Mentor, Site
from app.people.phones import masked_phone

mentoring_cli = AppGroup("mentoring", help="Mentoring: mentors and mentees of the same profession, in pairs.")


def _site(db, name: str) -> Site:
    site = db.exec(select(Site).where(Site.name == name.strip())).first()
    if site is None:
        raise click.ClickException(f"no site named {name}")
    return site


def person_options(command):
    for option in reversed((
        click.option("--site", "site_name", required=True, help="The programme (a site)."),
        click.option("--name", required=True),
        click.option("--profession", required=True),
        click.option("--phone", help="Phone number (the site's country is the default)."),
        click.option("--email", help="E-mail address, if there is no phone."),
        click.option("--sector", default=""),
        click.option("--region", default=""),
        click.option("--languages", default="", help="Languages spoken, comma separated."),
        click.option("--language", default="en", help="Language of Saathi's messages (code)."),
    )):
        command = option(command)
    return command


def _contact(row) -> str:
    return masked_phone(row.phone) if row.phone else (row.email or "")


@mentoring_cli.command("enrol-mentor")
@person_options
@click.option("--capacity", type=click.IntRange(1, 10), default=1, help="Mentees at once.")
@click.option("--employer", default="")
def enrol_mentor_cmd(site_name, capacity, employer, **fields):
    """Enrol a mentor in a programme."""
    with session_scope() as db:
        try:
            row = enrol_mentor(db, site=_site(db, site_name), capacity=capacity, employer=employer,
                               now=get_clock().now(), **fields)
        except MentoringError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"mentor {row.id}: {row.name} ({_contact(row)}), {row.profession}, {row.capacity} at once")


@mentoring_cli.command("enrol-mentee")
@person_options
@click.option("--education", default="")
@click.option("--goals", default="")
def enrol_mentee_cmd(site_name, **fields):
    """Enrol a mentee in a programme."""
    with session_scope() as db:
        try:
            row = enrol_mentee(db, site=_site(db, site_name), now=get_clock().now(), **fields)
        except MentoringError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"mentee {row.id}: {row.name} ({_contact(row)}), {row.profession}")


@mentoring_cli.command("follow-up")
def follow_up_cmd():
    """One follow-up pass: nudges, mid-point and end check-ins, closing (the worker does this every 15 min)."""
    app = current_app._get_current_object()
    with session_scope() as db:
        now = get_clock().now()
        stats = followup.follow_up(db, now=now, nudge_weeks=int(app.config["MENTOR_NUDGE_WEEKS"]))
    # Committed: now the queued e-mails are sent, each in its own short transaction.
    with session_scope() as db:
        mail = followup.send_queued(db, mail=followup.mail_of(app), now=now)
    click.echo(json.dumps({**stats.__dict__, "email": mail.__dict__}))


@mentoring_cli.command("target")
@click.argument("site_name")
@click.argument("pairs_per_year", type=click.IntRange(0))
def target_cmd(site_name, pairs_per_year):
    """Set the programme's target: pairs started a year."""
    with session_scope() as db:
        row = programme(db, _site(db, site_name).id)
        row.pairs_per_year, row.updated_at = pairs_per_year, get_clock().now()
        db.add(row)
        click.echo(f"{site_name}: {pairs_per_year} pairs a year")


def _person(db, kind: str, person_id: int):
    row = db.get(Mentor if kind == "mentor" else Mentee, person_id)
    if row is None:
        raise click.ClickException(f"no {kind} {person_id}")
    return row


@mentoring_cli.command("export")
@click.argument("kind", type=click.Choice(["mentor", "mentee"]))
@click.argument("person_id", type=int)
def export_cmd(kind, person_id):
    """Everything held about a mentor or a mentee, as JSON (full contact details)."""
    with session_scope() as db:
        row = _person(db, kind, person_id)
        data = privacy.export_mentor(db, row) if kind == "mentor" else privacy.export_mentee(db, row)
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@mentoring_cli.command("erase")
@click.argument("kind", type=click.Choice(["mentor", "mentee"]))
@click.argument("person_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase_cmd(kind, person_id, yes):
    """Delete a mentor or a mentee with their pairs, meetings and messages about the pairs."""
    with session_scope() as db:
        row = _person(db, kind, person_id)
        if not yes:
            click.confirm(f"Erase {kind} {person_id} ({row.name}) and their pairs?", abort=True)
        counts = privacy.erase_mentor(db, row) if kind == "mentor" else privacy.erase_mentees(db, [row.id])
    click.echo(json.dumps(counts))

"""``saathi journeys``: record and show a learner's journey from the command line."""
from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlmodel import select

from app.cli.people import _find
from app.clock import get_clock
from app.db import session_scope
from app.journeys import milestones
from app.journeys.steps import JourneyError, journey_of, record_step
from app.journeys.targets import set_target
from app.models import Site, User
from app.models.journey import KINDS, STAGES
from app.people.phones import masked_phone
from app.web.auth.accounts import normalize_email

journeys_cli = AppGroup("journeys", help="Journeys: placements and outcomes after training.")
ALL_KINDS = [kind for kinds in KINDS.values() for kind in kinds]


@journeys_cli.command("record")
@click.argument("phone")
@click.argument("stage", type=click.Choice(STAGES))
@click.option("--kind", type=click.Choice(ALL_KINDS), help="A placement's or an outcome's kind.")
@click.option("--on", "starts_on", type=click.DateTime(["%Y-%m-%d"]), required=True, help="Day it began (YYYY-MM-DD).")
@click.option("--until", "ends_on", type=click.DateTime(["%Y-%m-%d"]), help="Day it ended (YYYY-MM-DD).")
@click.option("--site", "site_name", help="Employer site (default: the learner's site).")
@click.option("--employer", help="An employer that is no Saathi site, by name.")
@click.option("--note", default="", help="What happened, briefly.")
@click.option("--by", "email", help="E-mail of the supervisor recording it.")
def journeys_record(phone, stage, kind, starts_on, ends_on, site_name, employer, note, email):
    """Append a step to the journey of the learner with PHONE."""
    with session_scope() as db:
        learner = _find(db, phone)
        site_id = None
        if site_name:
            site = db.exec(select(Site).where(Site.name == site_name.strip())).first()
            if site is None:
                raise click.ClickException(f"no site named {site_name}")
            site_id = site.id
        user = None
        if email:
            user = db.exec(select(User).where(User.email == normalize_email(email))).first()
            if user is None:
                raise click.ClickException(f"no user {email}")
        try:
            step = record_step(db=db, learner=learner, stage=stage, kind=kind, starts_on=starts_on.date(),
                               ends_on=ends_on.date() if ends_on else None, site_id=site_id, note=note,
                               employer=employer, recorded_by=user.id if user else None, now=get_clock().now())
        except JourneyError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"{masked_phone(learner.phone)}: {step.stage}{' ' + step.kind if step.kind else ''} "
                   f"from {step.starts_on.isoformat()}")


@journeys_cli.command("show")
@click.argument("phone")
def journeys_show(phone):
    """The journey of the learner with PHONE, oldest step first."""
    with session_scope() as db:
        learner = _find(db, phone)
        sites = {s.id: s.name for s in db.exec(select(Site)).all()}
        steps = journey_of(db=db, learner_id=learner.id)
        click.echo(f"{learner.name} ({masked_phone(learner.phone)})")
        if not steps:
            click.echo("  no steps recorded")
        for step in steps:
            until = f"..{step.ends_on.isoformat()}" if step.ends_on else ""
            kind = f" {step.kind}" if step.kind else ""
            note = f"  {step.note}" if step.note else ""
            where = step.employer or sites.get(step.site_id, "")
            click.echo(f"  {step.starts_on.isoformat()}{until}  {step.stage}{kind}  @ {where}{note}")


@journeys_cli.command("target")
@click.argument("site_name")
@click.option("--share", type=click.IntRange(0, 100), help="Percent of graduates in work, education or practice.")
@click.option("--months", type=click.IntRange(1, 60), help="...within this many months of graduating.")
@click.option("--graduates", type=click.IntRange(0), help="Graduates a year.")
def journeys_target(site_name, share, months, graduates):
    """Set the outcome targets of the site (the programme) SITE_NAME."""
    with session_scope() as db:
        site = db.exec(select(Site).where(Site.name == site_name.strip())).first()
        if site is None:
            raise click.ClickException(f"no site named {site_name}")
        target = set_target(db=db, site=site, now=get_clock().now(), within_months=months,
                            share_in_work=share / 100 if share is not None else None, graduates_per_year=graduates)
        share_text = f"{round(100 * target.share_in_work)}%" if target.share_in_work is not None else "-"
        click.echo(f"{site.name}: {share_text} within {target.within_months} months, "
                   f"{target.graduates_per_year if target.graduates_per_year is not None else '-'} graduates a year")


@journeys_cli.command("milestone-add")
@click.argument("site_name")
@click.argument("key")
@click.argument("title")
@click.argument("question")
def journeys_milestone_add(site_name, key, title, question):
    """Add the site's own milestone KEY (TITLE as staff read it, QUESTION as the learner gets it)."""
    with session_scope() as db:
        site = db.exec(select(Site).where(Site.name == site_name.strip())).first()
        if site is None:
            raise click.ClickException(f"no site named {site_name}")
        try:
            milestones.add(db, site_id=site.id, key=key, title=title, question=question)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"{site.name}: milestone {key.strip().lower()} added")


@journeys_cli.command("ask-milestone")
@click.argument("phone")
@click.argument("key")
def journeys_ask_milestone(phone, key):
    """Queue the milestone KEY's question to the learner with PHONE (sent in their window)."""
    with session_scope() as db:
        learner = _find(db, phone)
        if milestones.ask(db, learner=learner, key=key, now=get_clock().now()) is None:
            raise click.ClickException(f"{key}: unknown, already reached, or already asked")
        click.echo(f"{masked_phone(learner.phone)}: {key} asked")

"""``saathi sessions complete``: record that a classroom session was held."""
from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import AppGroup
from sqlmodel import select

from app.clock import get_clock
from app.db import session_scope
from app.learning.sessions import SessionError, complete_session
from app.models import Cohort, Module

sessions_cli = AppGroup("sessions", help="Classroom sessions.")


def parse_time(value: str | None, now: datetime) -> datetime:
    """ISO time; without an offset it is taken as UTC."""
    if not value:
        return now
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not an ISO time like 2026-03-02T10:00+05:30") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@sessions_cli.command("complete")
@click.option("--cohort", required=True, help="Cohort name.")
@click.option("--module", "module_key", required=True, help="PACK/MODULE, see `saathi content list`.")
@click.option("--at", "held_at", help="When it was held (ISO time; default now).")
def complete(cohort: str, module_key: str, held_at: str | None):
    """Record the session and queue the post-session quiz for every active learner of the cohort."""
    now = get_clock().now()
    with session_scope() as db:
        found_cohort = db.exec(select(Cohort).where(Cohort.name == cohort)).first()
        if found_cohort is None:
            raise click.ClickException(f"no cohort '{cohort}'")
        module = db.exec(select(Module).where(Module.key == module_key)).first()
        if module is None:
            raise click.ClickException(f"no module '{module_key}' (import packs with `saathi content import`)")
        try:
            done = complete_session(db=db, cohort=found_cohort, module=module,
                                    held_at=parse_time(held_at, now), now=now)
        except SessionError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"session {done.session.id}: {module_key} for {cohort}; "
                   f"quiz queued for {done.learners_queued} learners")

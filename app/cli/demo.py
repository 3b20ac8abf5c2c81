"""``saathi demo``: a believable programme on a fresh install, sign-ins included.

Two sites (Pune and Hamar), their staff and learners, and weeks of history the real
engine made (``app.demo.history``). Idempotent: run it again and nothing is duplicated;
the history is made once, the first time the demo cohorts have no session. Numbers are
fictional and the default console transport never sends anything anywhere.
"""
from __future__ import annotations

import os
import time

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlmodel import select

from app.clock import get_clock
from app.db import session_scope
from app.demo import accounts, programme
from app.demo import journeys as demo_journeys
from app.demo import mentoring as demo_mentoring
from app.demo.history import History, answers_of, has_history, supervise
from app.learning.policy import current_policy
from app.models import User
from app.people.learners import import_learners
from app.people.sites import add_site
from app.voice.flow import Env
from app.voice.settings import current_options


@click.command("demo")
@with_appcontext
def demo_cmd():
    """Load the demo sites, staff, learners and weeks of their answers (idempotent)."""
    app = current_app._get_current_object()
    if app.config["ENV"] == "production":
        raise click.ClickException("demo data is for development machines (SAATHI_ENV=production)")
    started = time.perf_counter()
    now = get_clock().now()
    cohorts = programme.cohort_names()
    with session_scope() as db:
        window = current_policy(app).window  # SAATHI_SEND_WINDOW_START/_END, as for any new site
        for site in programme.SITES:
            add_site(db=db, name=site.name, country=site.country, timezone=site.timezone, default_window=window)
        report = import_learners(db=db, csv_text=programme.learners_csv(), now=now, default_window=window)
        for error in report.errors:
            click.echo(f"demo learners: {error}", err=True)
        staff = accounts.ensure_staff(db=db, instance_path=app.instance_path,
                                      password=os.environ.get("SAATHI_DEMO_PASSWORD"))
    with session_scope() as db:
        if has_history(db, cohorts):
            summary = "history exists already"
        else:
            trainer = db.exec(select(User).where(User.email == programme.TRAINER)).first()
            played = History(db, now=now, learners=programme.LEARNERS, sessions=programme.SESSIONS,
                             policy=current_policy(app), env=Env.from_app(app), options=current_options(app),
                             created_by=trainer.id if trainer else None).play()
            supervise(db, now=now, learners=programme.LEARNERS)
            demo_journeys.play(db, now=now)
            demo_mentoring.play(db, now=now)
            summary = (f"{played.sessions} sessions over {played.days} days, "
                       f"{answers_of(db, cohorts)} answers, {played.calls} calls")
    click.echo(f"demo: {len(programme.SITES)} sites, {report.created} new learners, {summary} "
               f"({time.perf_counter() - started:.1f} s)")
    for line in staff:
        click.echo(line)

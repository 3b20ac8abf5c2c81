"""``saathi demo``: demo sites, learners and a held session, so a fresh install has a story.

Idempotent: run it again and nothing is duplicated. Numbers are fictional but valid, and
the default console transport never sends anything anywhere.
"""
from __future__ import annotations

import os
import secrets

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlmodel import select

from app.clock import get_clock
from app.db import session_scope
from app.learning.policy import current_policy
from app.learning.sessions import complete_session
from app.models import Cohort, Module, TrainingSession, User
from app.web.auth.accounts import create_user
from app.people.learners import import_learners
from app.people.sites import add_site

DEMO_SITES = (("Andheri Mall", "IN"), ("Oslo Læringssenter", "NO"), ("Utrecht Werkplein", "NL"))
DEMO_LEARNERS = """phone,name,site,language,cohort,channel
+919820000001,Asha Devi,Andheri Mall,hi,andheri-housekeeping,sms
+919820000002,Ravi Kumar,Andheri Mall,hi,andheri-housekeeping,both
+919820000003,Sunita Patil,Andheri Mall,en,andheri-housekeeping,sms
+919820000004,Imran Shaikh,Andheri Mall,hi,andheri-security,voice
+919820000005,Meena Rao,Andheri Mall,en,andheri-security,sms
+4791000001,Amina Yusuf,Oslo Læringssenter,nb,oslo-jobbklar,sms
+4791000002,Tesfaye Bekele,Oslo Læringssenter,nb,oslo-jobbklar,sms
+31612000001,Hassan Ali,Utrecht Werkplein,nl,utrecht-klantcontact,sms
+31612000002,Olena Kovalenko,Utrecht Werkplein,nl,utrecht-klantcontact,sms
"""
# (e-mail, role, site, UI language): one account per role, so every page can be tried.
DEMO_STAFF = (("admin@demo.saathi", "admin", None, "en"),
              ("trainer@demo.saathi", "trainer", "Andheri Mall", "hi"),
              ("supervisor@demo.saathi", "supervisor", "Oslo Læringssenter", "nb"))
DEMO_SESSIONS = (("andheri-housekeeping", "digital-banking/upi-safety"),
                 ("oslo-jobbklar", "communication/greeting-clients"))


@click.command("demo")
@with_appcontext
def demo_cmd():
    """Load demo sites, learners, staff and one held session per demo cohort (idempotent)."""
    if current_app.config["ENV"] == "production":
        raise click.ClickException("demo data is for development machines (SAATHI_ENV=production)")
    now = get_clock().now()
    with session_scope() as db:
        for name, country in DEMO_SITES:
            add_site(db=db, name=name, country=country, default_window=current_policy().window)
        report = import_learners(db=db, csv_text=DEMO_LEARNERS, now=now, default_window=current_policy().window)
        for error in report.errors:
            click.echo(f"demo learners: {error}", err=True)
        held = 0
        for cohort_name, module_key in DEMO_SESSIONS:
            cohort = db.exec(select(Cohort).where(Cohort.name == cohort_name)).first()
            module = db.exec(select(Module).where(Module.key == module_key)).first()
            if cohort is None or module is None:
                continue
            if db.exec(select(TrainingSession).where(TrainingSession.cohort_id == cohort.id,
                                                     TrainingSession.module_id == module.id)).first():
                continue
            complete_session(db=db, cohort=cohort, module=module, held_at=now, now=now)
            held += 1
        staff = _demo_staff(db)
    click.echo(f"demo: {len(DEMO_SITES)} sites, {report.created} new learners, {held} sessions held")
    for line in staff:
        click.echo(line)


def _demo_staff(db) -> list[str]:
    """Demo sign-ins. The password comes from SAATHI_DEMO_PASSWORD or is drawn at random and
    shown once: a demo database copied somewhere public must not open with a known word."""
    missing = [s for s in DEMO_STAFF if not db.exec(select(User).where(User.email == s[0])).first()]
    if not missing:
        return ["demo staff accounts exist already (reset one with `saathi users password --email ...`)"]
    password = os.environ.get("SAATHI_DEMO_PASSWORD") or secrets.token_urlsafe(9)
    for email, role, site, language in missing:
        create_user(db=db, email=email, role=role, password=password, site_names=[site] if site else [],
                    name=role.title(), language=language)
    return [f"demo sign-in: {email} ({role}) password {password}" for email, role, _, _ in missing]

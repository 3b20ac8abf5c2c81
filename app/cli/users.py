"""``saathi users``: staff accounts (create the first admin here; there is no sign-up page)."""
from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlmodel import select

from app.db import session_scope
from app.i18n import LANGUAGES
from app.models import User
from app.models.staff import ROLES
from app.web.auth.accounts import (
    AccountError,
    create_user,
    normalize_email,
    set_password,
    site_names,
)

users_cli = AppGroup("users", help="Staff accounts: admins, trainers, supervisors.")


@users_cli.command("create")
@click.option("--email", required=True, help="Sign-in e-mail.")
@click.option("--role", required=True, type=click.Choice(ROLES), help="admin sees every site.")
@click.option("--site", "sites", multiple=True, help="Site name (repeatable); trainers and supervisors need one.")
@click.option("--name", default="", help="Name shown in the UI.")
@click.option("--language", default="en", type=click.Choice(list(LANGUAGES)), show_default=True)
@click.password_option(help="Prompted for (twice) when not given.")
def create(email, role, sites, name, language, password):
    """Create a staff account bound to its sites."""
    try:
        with session_scope() as db:
            user = create_user(db=db, email=email, role=role, password=password, site_names=sites,
                               name=name, language=language)
            click.echo(f"created {user.role} {user.email}" + (f" for {', '.join(sites)}" if sites else ""))
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None


@users_cli.command("list")
def list_users():
    """Every account with its role, sites and state."""
    with session_scope() as db:
        for user in db.exec(select(User).order_by(User.role, User.email)).all():
            state = "active" if user.active else "disabled"
            where = "all sites" if user.role == "admin" else ", ".join(site_names(db=db, user=user)) or "no site"
            click.echo(f"{user.email}\t{user.role}\t{where}\t{state}")


@users_cli.command("password")
@click.option("--email", required=True)
@click.password_option(help="Prompted for (twice) when not given.")
def password(email, password):
    """Set a new password (also lifts a sign-in lock)."""
    try:
        with session_scope() as db:
            user = db.exec(select(User).where(User.email == normalize_email(email))).first()
            if user is None:
                raise click.ClickException(f"no user {email}")
            set_password(db=db, user=user, password=password)
            click.echo(f"password changed for {user.email}")
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None

"""``saathi tokens``: API tokens for staff accounts (one per user; only its hash is kept).

The token is printed once, at creation, and cannot be shown again: a lost token is
replaced by creating a new one, which stops the old one working.
"""
from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlmodel import select

from app.db import session_scope
from app.models import User
from app.web.api.auth import TokenError, issue_token, revoke_token
from app.web.auth.accounts import normalize_email

tokens_cli = AppGroup("tokens", help="API tokens (Authorization: Bearer) for staff accounts.")


def _user(db, email: str) -> User:
    user = db.exec(select(User).where(User.email == normalize_email(email))).first()
    if user is None:
        raise click.ClickException(f"no user {email} (create one with: saathi users create)")
    return user


@tokens_cli.command("create")
@click.option("--email", required=True, help="The staff account the token acts as.")
def create(email: str):
    """Create a token for the user, replacing any earlier one; prints it once."""
    with session_scope() as db:
        user = _user(db, email)
        replaced = user.api_token_hash is not None
        try:
            token = issue_token(db=db, user=user)
        except TokenError as exc:
            raise click.ClickException(str(exc)) from None
        role = user.role
    click.echo(f"API token for {normalize_email(email)} ({role}), shown only now; keep it secret:",
               err=True)
    click.echo(token)
    if replaced:
        click.echo("The previous token no longer works.", err=True)


@tokens_cli.command("revoke")
@click.option("--email", required=True, help="The staff account whose token to revoke.")
def revoke(email: str):
    """Revoke the user's token: API calls with it are refused from now on."""
    with session_scope() as db:
        had = revoke_token(db=db, user=_user(db, email))
    email = normalize_email(email)
    click.echo(f"token of {email} revoked" if had else f"{email} had no token")

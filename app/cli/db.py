"""``saathi db``: schema migrations."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app import migrate

db_cli = AppGroup("db", help="Database schema migrations (Alembic).")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def upgrade(revision: str) -> None:
    """Bring the database to REVISION (default: the current schema)."""
    migrate.upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


@db_cli.command("downgrade")
@click.argument("revision")
def downgrade(revision: str) -> None:
    """Step the schema back to REVISION."""
    migrate.downgrade(current_app.config["DATABASE_URL"], revision)


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
def revision(message: str) -> None:
    """Autogenerate a migration from the models (for developers)."""
    migrate.revision(current_app.config["DATABASE_URL"], message)


@db_cli.command("current")
def current() -> None:
    """Show the revision the database is at."""
    migrate.current(current_app.config["DATABASE_URL"])

"""The demo's staff sign-ins, and the password the sign-in page shows in demo mode.

The password is ``SAATHI_DEMO_PASSWORD`` when set, else drawn at random once and kept in
the instance folder (``demo-password``, readable by its owner only), never in the code: a
demo database copied somewhere public must not open with a word everyone knows. The
sign-in page shows it only with ``SAATHI_DEMO=1`` outside production (``app.config``).
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, select

from app.demo.programme import STAFF
from app.models import User
from app.web.auth.accounts import create_user, site_names

PASSWORD_FILE = "demo-password"


@dataclass(frozen=True)
class SignIn:
    email: str
    name: str
    role: str
    sites: tuple[str, ...]
    password: str | None  # None when this machine does not know it (see ``read_password``)


def password_path(instance_path: str) -> Path:
    return Path(instance_path) / PASSWORD_FILE


def read_password(instance_path: str) -> str | None:
    try:
        return password_path(instance_path).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def _keep_password(instance_path: str, password: str) -> None:
    path = password_path(instance_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(password + "\n")


def ensure_staff(*, db: Session, instance_path: str, password: str | None = None) -> list[str]:
    """Create the demo staff who are missing; returns the sign-in lines to print.

    The password kept on this machine wins over ``password`` (so accounts made by an
    earlier run and new ones share one); ``password``, else a random one, is the first.
    When the accounts exist but this machine never kept their password (a database from
    elsewhere), there is none to print.
    """
    missing = [s for s in STAFF if not db.exec(select(User).where(User.email == s[0])).first()]
    known = read_password(instance_path)
    if not missing and known is None:
        return ["demo staff accounts exist already (reset one with `saathi users password --email ...`)"]
    password = known or password or secrets.token_urlsafe(9)
    for email, role, name, sites, language in missing:
        create_user(db=db, email=email, role=role, password=password, site_names=list(sites),
                    name=name, language=language)
    if known is None:
        _keep_password(instance_path, password)
    return [f"demo sign-in: {email} ({role}) password {password}" for email, role, *_ in STAFF]


def sign_ins(*, db: Session, instance_path: str) -> list[SignIn]:
    """The demo accounts that exist and are active, as the sign-in page lists them."""
    password = read_password(instance_path)
    out = []
    for email, role, _name, _sites, _language in STAFF:
        user = db.exec(select(User).where(User.email == email)).first()
        if user is None or not user.active:
            continue
        out.append(SignIn(email=user.email, name=user.name, role=user.role,
                          sites=tuple(site_names(db=db, user=user)), password=password))
    return out

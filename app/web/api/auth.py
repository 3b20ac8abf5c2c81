"""API tokens: one per staff user, stored only as a SHA-256 hash, sent as ``Bearer``.

A token is 32 random bytes (``secrets.token_urlsafe``), so a fast hash is enough: there
is nothing to brute-force, and a hash lets a request find its user with one indexed
lookup. The plain token is shown once, by ``saathi tokens create``; a database leak
reveals no usable token. A new token replaces the old one; revoking clears it. A user
who is deactivated loses API access at once, token or not.

Every API request except the public ones (the OpenAPI document) is authenticated here,
before the view runs, so no view can forget to; the user is then ``current_user()``.
"""
from __future__ import annotations

import hashlib
import secrets

from flask import g, request
from sqlmodel import Session, select

from app.access import visible_site_ids
from app.db import get_db
from app.models import User
from app.web.api import bp
from app.web.api.errors import unauthorized

# Longer than any token we issue by far; anything longer is refused without hashing it.
MAX_TOKEN_LENGTH = 200


class TokenError(ValueError):
    """A token cannot be issued; the message says why."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def issue_token(*, db: Session, user: User) -> str:
    """A new token for ``user`` (replacing any earlier one). Returns the only plain copy."""
    if not user.active:
        raise TokenError(f"{user.email} is deactivated")
    token = secrets.token_urlsafe(32)
    user.api_token_hash = hash_token(token)
    db.add(user)
    db.flush()
    return token


def revoke_token(*, db: Session, user: User) -> bool:
    """Forget ``user``'s token; ``False`` if there was none."""
    had = user.api_token_hash is not None
    user.api_token_hash = None
    db.add(user)
    db.flush()
    return had


def user_for_token(*, db: Session, token: str) -> User | None:
    """The active user holding ``token``, or ``None``."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    user = db.exec(select(User).where(User.api_token_hash == hash_token(token))).first()
    return user if user is not None and user.active else None


def bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def current_user() -> User:
    return g.api_user


def site_scope() -> set[int] | None:
    """The current user's visible site ids (``None``: every site), once per request."""
    if "api_site_scope" not in g:
        g.api_site_scope = visible_site_ids(db=get_db(), user=current_user())
    return g.api_site_scope


def reveals_phones() -> bool:
    """Only admins see full phone numbers, as on the staff pages."""
    return current_user().role == "admin"


@bp.before_request
def authenticate():
    """401 (with a ``WWW-Authenticate: Bearer`` challenge) unless the token is an active user's."""
    from app.web.api.openapi import is_public

    if is_public(request.endpoint):
        return
    token = bearer_token()
    if token is None:
        raise unauthorized("Send an API token: Authorization: Bearer <token>.")
    user = user_for_token(db=get_db(), token=token)
    if user is None:
        raise unauthorized("The API token is not valid (revoked, replaced, or its user deactivated).",
                           invalid=True)
    g.api_user = user
    return

"""The checks every staff view makes: signed in, right role, object inside the user's sites.

An object outside the user's sites answers 404, not 403, so a supervisor cannot even
learn that another site's learner or cohort exists.
"""
from __future__ import annotations

import functools

from flask import abort, g
from flask_login import current_user, login_required

from app.access import visible_site_ids
from app.db import get_db


def require_login(bp) -> None:
    """Every view of ``bp`` needs a signed-in user (anonymous visitors go to the sign-in page)."""

    @bp.before_request
    @login_required
    def _signed_in():
        return None


def roles_required(*roles: str):
    """403 unless the current user has one of ``roles``."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def scope() -> set[int] | None:
    """The current user's visible site ids (``None``: every site), computed once per request."""
    if "site_scope" not in g:
        g.site_scope = visible_site_ids(db=get_db(), user=current_user)
    return g.site_scope


def in_scope(site_id: int | None) -> bool:
    allowed = scope()
    return allowed is None or site_id in allowed


def get_or_404(model, object_id: int, *, site_of=None):
    """The row ``object_id`` of ``model`` if the user may see it; 404 otherwise.

    ``site_of(row)`` gives the row's site id; by default its ``site_id`` attribute.
    """
    row = get_db().get(model, object_id)
    if row is None:
        abort(404)
    site_id = site_of(row) if site_of else row.site_id
    if not in_scope(site_id):
        abort(404)
    return row


def is_admin() -> bool:
    return current_user.is_authenticated and current_user.role == "admin"

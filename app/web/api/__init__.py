"""The JSON API under ``/api/v1``: what staff see, for scripts and other systems.

Token-authenticated (``auth``), scoped to the caller's sites like every staff page
(``app.access``), and described by an OpenAPI document generated from the same
pydantic models that parse and serialise each request (``schemas``, ``openapi``).
No cookies, so no CSRF: ``app.web`` exempts this blueprint by its name, ``api``.
"""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from app.web.api import auth, errors, journeys, mentoring, milestones, routes  # noqa: F401  (register hooks, handlers, views)

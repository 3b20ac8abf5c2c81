"""Staff sign-in: accounts, roles, sessions, the UI language, and the guards every page uses."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from app.web.auth import routes  # noqa: F401  (registers the views on bp)

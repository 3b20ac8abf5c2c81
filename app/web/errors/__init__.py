"""Error pages for the whole app: HTML for browsers, JSON for API clients."""
from flask import Blueprint

bp = Blueprint("errors", __name__)

from app.web.errors import handlers  # noqa: F401  (registers the handlers on bp)

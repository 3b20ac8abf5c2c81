"""What supervisors (and trainers, admins) read: dashboards, feedback, recognition, reports,
learners. Every view is scoped to the user's sites through ``app.web.auth.guards``."""
from flask import Blueprint

from app.web.auth.guards import require_login

bp = Blueprint("dashboard", __name__)
require_login(bp)

from app.web.dashboard import changes, feedback, learners, reports, routes  # noqa: F401  (register views)

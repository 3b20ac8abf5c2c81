"""A learner's journey as staff see and record it, beside the learner's page.

Everyone who may see the learner sees the journey; supervisors and admins (the staff
who follow people into work) record its steps. Scoped like every staff view: a learner
or an employer site outside the user's sites is a 404.
"""
from flask import Blueprint

from app.web.auth.guards import require_login

bp = Blueprint("journeys", __name__)
require_login(bp)

from app.web.journeys import impact_settings, milestones, routes, target_views, targets  # noqa: F401  (register views)

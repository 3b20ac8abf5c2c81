"""Mentoring as coordinators see it: the dashboard, mentees and their suggested mentors,
pairs and their meeting logs, enrolment by staff.

Everyone signed in sees the mentoring of their own sites; trainers, supervisors and
admins enrol; supervisors and admins (the coordinators) propose, confirm, decline and
record outcomes. Anything outside the user's sites is a 404. The public enrolment forms
live in ``public`` (no sign-in, a programme's opt-in link).
"""
from flask import Blueprint

from app.web.auth.guards import require_login

bp = Blueprint("mentoring", __name__, url_prefix="/mentoring")
require_login(bp)

from app.web.mentoring import enrol, routes  # noqa: F401  (register views)

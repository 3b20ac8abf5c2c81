"""Trainers' workspace: mark sessions as held, import learners, author and publish content.

Trainers and admins only; every cohort, site and learner a form touches must be inside
the trainer's sites. Content packs are shared by every site, so any trainer may publish.
"""
from flask import Blueprint, abort
from flask_login import current_user

from app.web.auth.guards import require_login

bp = Blueprint("workspace", __name__, url_prefix="/workspace")
require_login(bp)


@bp.before_request
def trainers_only():
    if current_user.is_authenticated and current_user.role not in ("trainer", "admin"):
        abort(403)


from app.web.workspace import content, learners, people, sessions, sites  # noqa: F401  (register views)

"""Phone simulator: a trainer types as a learner and sees Saathi answer, through the real
conversation engine, the console transport and the same database rows as a real phone."""
from flask import Blueprint, abort
from flask_login import current_user

from app.web.auth.guards import require_login

bp = Blueprint("simulator", __name__, url_prefix="/simulator")
require_login(bp)


@bp.before_request
def trainers_only():
    if current_user.is_authenticated and current_user.role not in ("trainer", "admin"):
        abort(403)


from app.web.simulator import routes  # noqa: F401  (registers the views on bp)

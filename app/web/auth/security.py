"""App-wide protection for the staff pages: login sessions, CSRF, cookie flags, headers.

CSRF is checked here rather than by Flask-WTF's default hook so that whole blueprints can
be exempted by name (``twilio``, ``api`` and anything nested under them), whichever order
they were registered in: those authenticate each request themselves and carry no cookie.
"""
from __future__ import annotations

from flask import Flask, current_app, request
from flask_login import LoginManager, UserMixin
from flask_wtf.csrf import CSRFProtect

from app.db import get_db
from app.models import User
from app.security import framing_allowed
from app.web.auth.accounts import AddressLimiter

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message_category = "info"
csrf = CSRFProtect()

# Every asset is served by Saathi itself; pygal's inline SVG styles need 'unsafe-inline'.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


class StaffUser(UserMixin):
    """The signed-in ``User`` row as Flask-Login wants it; reads fall through to the row.

    The table model stays free of web concerns; write through ``.user``.
    """

    def __init__(self, user: User):
        self.user = user

    def __getattr__(self, name):
        return getattr(self.user, name)

    def get_id(self) -> str:
        return str(self.user.id)

    @property
    def is_active(self) -> bool:
        return bool(self.user.active)


@login_manager.user_loader
def load_user(user_id: str) -> StaffUser | None:
    try:
        user = get_db().get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    return StaffUser(user) if user is not None and user.active else None


def _lazy_login_message():
    from flask_babel import lazy_gettext as _l

    return _l("Please sign in to see this page.")


def init_app(app: Flask, *, csrf_exempt=("twilio", "api")) -> None:
    https = str(app.config.get("PUBLIC_URL", "")).startswith("https://")
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE=app.config.get("SESSION_COOKIE_SAMESITE") or "Lax",
        SESSION_COOKIE_SECURE=https,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=https,
        WTF_CSRF_CHECK_DEFAULT=False,
    )
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # valid for the life of the session
    app.config.setdefault("LOGIN_MAX_FAILURES", 5)
    app.config.setdefault("LOGIN_LOCK_MINUTES", 15)
    app.config.setdefault("LOGIN_ADDRESS_MAX_FAILURES", 20)
    login_manager.login_message = _lazy_login_message()
    login_manager.init_app(app)
    csrf.init_app(app)
    app.extensions["saathi.login_limiter"] = AddressLimiter(
        max_failures=int(app.config["LOGIN_ADDRESS_MAX_FAILURES"]))
    exempt = tuple(csrf_exempt)

    @app.before_request
    def check_csrf():
        if not current_app.config.get("WTF_CSRF_ENABLED", True):
            return
        blueprint = (request.blueprint or "").split(".")[0]
        if blueprint in exempt:
            return
        csrf.protect()
        return

    @app.after_request
    def security_headers(response):
        if (request.blueprint or "").split(".")[0] in exempt:
            return response
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not framing_allowed(response):  # the impact card alone (app.security.allow_framing)
            response.headers.setdefault("X-Frame-Options", "DENY")
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response

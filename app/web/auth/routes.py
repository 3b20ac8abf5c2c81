"""Sign in, sign out, choose the UI language."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.clock import get_clock
from app.config import demo_mode
from app.db import get_db
from app.i18n import LANGUAGES
from app.web.auth import bp
from app.web.auth.accounts import LoginError, authenticate
from app.web.auth.forms import LoginForm
from app.web.auth.security import StaffUser


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect after sign-in is a phishing tool."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("dashboard.index")


def _minutes_left(until, now) -> int:
    return max(1, -int(-(until - now).total_seconds() // 60))


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in page; on success, redirect to ``next`` or the dashboard.

    Refuses with the same message (and status 200: there is no WWW-Authenticate scheme to
    offer) for an unknown e-mail and a wrong password; says how long to wait when the
    account or this address is locked (429).
    """
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        now = get_clock().now()
        limiter = current_app.extensions["saathi.login_limiter"]
        address = request.remote_addr or "?"
        db = get_db()
        blocked = limiter.blocked_until(address, now)
        try:
            if blocked:
                raise LoginError("address locked", locked_until=blocked)
            user = authenticate(db=db, email=form.email.data, password=form.password.data, now=now,
                                max_failures=int(current_app.config["LOGIN_MAX_FAILURES"]),
                                lock_minutes=int(current_app.config["LOGIN_LOCK_MINUTES"]))
        except LoginError as exc:
            db.commit()  # keep the failure count
            if not blocked:
                limiter.record_failure(address, now)
            if exc.locked_until:
                flash(_("Too many failed attempts. Try again in %(minutes)d minutes.",
                        minutes=_minutes_left(exc.locked_until, now)), "error")
                status = 429
            else:
                flash(_("Invalid e-mail or password."), "error")
        else:
            db.commit()
            limiter.reset(address)
            session.clear()  # a fresh session for the signed-in user
            login_user(StaffUser(user))
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form, demo=_demo_sign_ins()), status


def _demo_sign_ins() -> list:
    """The demo accounts and their password, in demo mode only (``SAATHI_DEMO=1``, never in
    production): a newcomer who ran scripts/dev signs in without digging through its output."""
    if not demo_mode(current_app.config):
        return []
    from app.demo.accounts import sign_ins

    return sign_ins(db=get_db(), instance_path=current_app.instance_path)


@bp.post("/logout")
def logout():
    """Sign out (POST only, so a link on another site cannot sign anyone out)."""
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/language")
def language():
    """Switch the UI language: saved on the account when signed in, else in the session."""
    chosen = request.form.get("language")
    if chosen not in LANGUAGES:
        return redirect(request.referrer or url_for("auth.login"))
    session["language"] = chosen
    if current_user.is_authenticated:
        db = get_db()
        current_user.user.language = chosen
        db.add(current_user.user)
        db.commit()
    return redirect(_safe_next(request.form.get("next") or urlsplit(request.referrer or "").path or None))

"""One handler for every HTTP error, answering in the form the client asked for.

Like microblog's ``errors`` blueprint: a client that prefers JSON (scripts) gets the API's
shape, ``{"error": {"code", "message"}}``; a browser gets a page in the user's language. A failed
CSRF check is a 400 that tells a person to reload the form, not a stack trace.
"""
from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

from app.web.api import errors as api_errors
from app.web.errors import bp


def wants_json() -> bool:
    if (request.blueprint or "").split(".")[0] == "api":
        return True
    accept = request.accept_mimetypes
    return accept["application/json"] > accept["text/html"]


def _titles() -> dict[int, str]:
    return {
        400: _("The request could not be understood."),
        401: _("Please sign in."),
        403: _("You do not have access to this page."),
        404: _("This page does not exist, or is not part of your sites."),
        405: _("This action is not allowed here."),
        413: _("The file is too large."),
        429: _("Too many attempts. Please wait and try again."),
        500: _("Something went wrong on our side. It has been logged."),
        503: _("This is not available on this server."),
    }


def error_response(status: int, message: str | None = None):
    title = _titles().get(status) or HTTP_STATUS_CODES.get(status, "Error")
    if wants_json():
        return api_errors.error_response(status, api_errors.status_code_name(status), message or title)
    if (request.blueprint or "").split(".")[0] == "impact":  # a stranger's page: no staff chrome, no sign-in link
        if status == 404:
            title = _("This page does not exist.")
        return render_template("errors/public_error.html", status=status, title=title, message=message), status
    return render_template("errors/error.html", status=status, title=title, message=message), status


@bp.app_errorhandler(CSRFError)
def csrf_error(exc: CSRFError):
    return error_response(400, _("The form has expired or was sent from elsewhere. Reload the page and try again."))


@bp.app_errorhandler(HTTPException)
def http_error(exc: HTTPException):
    if exc.code is None or exc.code < 400:
        return exc
    custom = exc.description and exc.description != type(exc).description
    description = exc.description if custom and exc.code in (400, 409, 413, 422, 503) else None
    return error_response(exc.code, description)


@bp.app_errorhandler(InternalServerError)
def internal_error(exc):
    from app.db import close_db

    close_db()  # a failed transaction must not leak into the error page
    return error_response(500)

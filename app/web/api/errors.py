"""Every API failure answers ``{"error": {"code", "message"[, "details"]}}``.

The app-wide ``errors`` blueprint renders HTML pages (or a simpler JSON) for the staff
UI; these handlers are registered on the ``api`` blueprint, so Flask prefers them for any
request routed into it, and a script talking to the API always gets the shape its
OpenAPI document promises (``schemas.Error``), whatever went wrong.
"""
from __future__ import annotations

from flask import jsonify
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

from app.web.api import bp

BEARER_CHALLENGE = 'Bearer realm="saathi"'


class ApiError(Exception):
    """Raised by API code to answer ``status`` with a stable ``code`` and a human ``message``."""

    def __init__(self, status: int, code: str, message: str, *, headers: dict | None = None,
                 details: list | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers, self.details = headers or {}, details


def not_found(what: str = "not found") -> ApiError:
    """The one answer for "does not exist" and "exists in a site you cannot see"."""
    return ApiError(404, "not_found", what)


def unauthorized(message: str, *, invalid: bool = False) -> ApiError:
    """401 with the RFC 6750 challenge, ``error="invalid_token"`` when a token was sent."""
    challenge = BEARER_CHALLENGE + (', error="invalid_token"' if invalid else "")
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": challenge})


def status_code_name(status: int) -> str:
    """``404`` -> ``not_found``: the stable ``code`` of an error that has none of its own."""
    return HTTP_STATUS_CODES.get(status, "error").lower().replace(" ", "_").replace("'", "")


def error_response(status: int, code: str, message: str, *, headers: dict | None = None,
                   details: list | None = None):
    body: dict = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    response = jsonify({"error": body})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def validation_details(exc: ValidationError, where: str) -> list[dict]:
    """Pydantic's errors reduced to where and what, without echoing the input back."""
    return [{"loc": [where, *err["loc"]], "msg": err["msg"]} for err in exc.errors(include_url=False)]


@bp.errorhandler(ApiError)
def api_error(exc: ApiError):
    return error_response(exc.status, exc.code, exc.message, headers=exc.headers, details=exc.details)


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    status = exc.code or 500
    code = status_code_name(status)
    headers = {k: v for k, v in exc.get_headers() if k.lower() in ("allow", "retry-after")}
    return error_response(status, code, exc.description or HTTP_STATUS_CODES.get(status, "error"),
                          headers=headers)


@bp.errorhandler(InternalServerError)
def internal_error(exc):
    """Flask has already logged the traceback; the client gets no detail of it."""
    from app.db import close_db

    close_db()  # a failed transaction must not leak into the next request on this thread
    return error_response(500, "internal_error", "Something went wrong on our side. It has been logged.")

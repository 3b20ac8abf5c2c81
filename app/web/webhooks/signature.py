"""Only Twilio may call the webhooks: every request must carry a valid X-Twilio-Signature.

The URL Twilio signed is the public one (``SAATHI_PUBLIC_URL``), not what a reverse proxy
hands Flask, so the signature is checked against the public URL plus the request's path
and query. JSON-bodied webhooks (signed over a ``bodySHA256`` of the raw body) are
checked the same way through the SDK's validator.
"""
from __future__ import annotations

import functools

from flask import abort, current_app, request
from twilio.request_validator import RequestValidator


def public_url_for_request() -> str:
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    query = request.query_string.decode("latin-1")
    return base + request.path + (f"?{query}" if query else "")


def public_url(path: str) -> str:
    """The absolute URL Twilio should call for ``path`` (status callbacks, TwiML actions)."""
    return current_app.config["PUBLIC_URL"].rstrip("/") + path


def signature_is_valid() -> bool:
    token = current_app.config.get("TWILIO_AUTH_TOKEN")
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    validator = RequestValidator(token)
    url = public_url_for_request()
    if "bodySHA256" in request.args:
        return validator.validate(url, request.get_data(as_text=True), signature)
    return validator.validate(url, request.form, signature)


def twilio_only(view):
    """Refuse (403) any request not signed by Twilio with our auth token."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not signature_is_valid():
            current_app.logger.warning("refused unsigned or forged webhook to %s", request.path)
            abort(403)
        return view(*args, **kwargs)

    return wrapper

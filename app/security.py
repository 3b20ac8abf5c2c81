"""Response headers every Saathi answer carries, whatever blueprint made it.

The staff pages set their own, fuller policy (``app/web/auth/security.py``: CSP for the
UI, cookie flags, CSRF); this is the floor under everything else: the Twilio webhooks'
TwiML, the JSON API, ``/healthz`` and ``/metrics``, and any error page. Headers already
set are left alone (``setdefault``), so the staff policy wins where it applies. Webhook
bodies are capped at what Twilio can send.
"""
from __future__ import annotations

from flask import Flask, Response, request

# Nothing but TwiML/JSON/text is served outside the staff pages: it may load nothing.
NON_HTML_CSP = "default-src 'none'; frame-ancestors 'none'"
# An HTML page the staff policy did not cover (an error page): self-hosted assets only.
HTML_CSP = ("default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
            "form-action 'self'; frame-ancestors 'none'")
# The impact card (``/impact/<slug>/embed``): self-hosted styles only, framed by any website.
EMBED_CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; "
             "form-action 'none'; frame-ancestors *")
HSTS = "max-age=31536000; includeSubDomains"
# Twilio's largest form (1,600 characters of 4-byte UTF-8, percent-encoded, plus its other
# fields) stays under 25 KB; anything bigger is not Twilio, and is refused before parsing
# (the signature check would otherwise read a forged 8 MB form into memory first).
WEBHOOK_MAX_BYTES = 64 * 1024


def allow_framing(response: Response) -> Response:
    """Let any website frame this one answer: its own CSP (``frame-ancestors *``) and no
    ``X-Frame-Options``, which the hooks here and in ``app/web/auth/security.py`` skip."""
    response.headers["Content-Security-Policy"] = EMBED_CSP
    response.frameable = True
    return response


def framing_allowed(response: Response) -> bool:
    return getattr(response, "frameable", False)


def init_app(app: Flask) -> None:
    https = str(app.config.get("PUBLIC_URL", "")).startswith("https://")

    @app.before_request
    def small_webhooks():
        if (request.blueprint or "").split(".")[0] == "twilio":
            request.max_content_length = WEBHOOK_MAX_BYTES

    @app.after_request
    def baseline_headers(response):
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        if not framing_allowed(response):
            headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Content-Security-Policy",
                           HTML_CSP if response.mimetype == "text/html" else NON_HTML_CSP)
        if https:
            # Browsers only honour it over HTTPS; behind a TLS proxy Flask itself sees http.
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response

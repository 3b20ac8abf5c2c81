"""Every answer carries the browser protections; the staff UI keeps working under its CSP."""
from __future__ import annotations

import re
import uuid

import pytest

from app import create_app
from app.config import REPO_ROOT
from tests.hardening.conftest import sign_in

TEMPLATES = REPO_ROOT / "app" / "templates"


def csp(response) -> dict[str, str]:
    policy = response.headers.get("Content-Security-Policy", "")
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


def assert_baseline(response):
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Referrer-Policy" in response.headers
    assert csp(response)["frame-ancestors"] == "frame-ancestors 'none'"


def test_twiml_json_and_metrics_answers_load_nothing_and_cannot_be_framed(client, twilio_post, learning):
    answers = [
        twilio_post("/twilio/sms", {"MessageSid": "SM" + uuid.uuid4().hex, "From": "+919876543210", "Body": "2"}),
        client.post("/twilio/sms", data={"Body": "unsigned"}),
        client.get("/healthz"),
        client.get("/metrics"),
    ]
    assert [r.status_code for r in answers] == [200, 403, 200, 200]
    for response in answers:
        assert_baseline(response)
    assert csp(answers[0])["default-src"] == "default-src 'none'"  # TwiML needs nothing loaded


def test_staff_pages_have_a_strict_csp_without_inline_scripts(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert_baseline(response)
    policy = csp(response)
    assert policy["default-src"] == "default-src 'self'"
    script = policy.get("script-src", policy["default-src"])
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script and "http" not in script
    assert "http" not in response.headers["Content-Security-Policy"]  # only self-hosted assets


def test_hsts_only_over_https(app_config):
    plain = create_app(app_config).test_client().get("/healthz")
    assert "Strict-Transport-Security" not in plain.headers
    secure = create_app({**app_config, "PUBLIC_URL": "https://saathi.example.org"}).test_client().get("/healthz")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.parametrize("public_url,secure", [("http://saathi.test", False), ("https://saathi.example.org", True)])
def test_the_session_cookie_is_httponly_lax_and_secure_behind_https(app_config, public_url, secure):
    app = create_app({**app_config, "PUBLIC_URL": public_url, "WTF_CSRF_ENABLED": False})
    response = sign_in(app.test_client(), app)
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(app.config["SESSION_COOKIE_NAME"])]
    assert cookies, response.headers
    flags = {part.strip().split("=")[0].lower(): part.strip() for part in cookies[0].split(";")}
    assert "httponly" in flags and flags["samesite"].lower() == "samesite=lax"
    assert ("secure" in flags) is secure


def test_templates_need_nothing_a_strict_csp_forbids():
    """No inline <script>, no on* handlers, no javascript: URLs, no style="" attributes."""
    problems = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text()
        for pattern, what in ((r"<script(?![^>]*\bsrc=)[^>]*>", "inline <script>"),
                              (r"\son[a-z]+\s*=", "inline event handler"),
                              (r"javascript:", "javascript: URL"),
                              (r"\sstyle\s*=", "style attribute"),
                              (r"<style", "inline <style>"),
                              (r"(src|href)=\"(https?:)?//", "asset from another host")):
            for match in re.finditer(pattern, text, re.IGNORECASE):
                problems.append(f"{path.relative_to(REPO_ROOT)}: {what}: {match[0]}")
    assert not problems, "\n".join(problems)


def test_static_scripts_do_not_eval():
    for path in (REPO_ROOT / "app" / "static").rglob("*.js"):
        text = path.read_text()
        assert not re.search(r"\beval\(|new Function\(|setTimeout\(\s*['\"]|innerHTML\s*=", text), path

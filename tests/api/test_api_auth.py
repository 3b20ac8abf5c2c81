"""Tokens: only the hash is stored, a missing or bad one is a 401 with a Bearer challenge,
and ``saathi tokens create|revoke`` hand out and take back access."""
from __future__ import annotations

import hashlib

from sqlmodel import select

from app.db import session_scope
from app.models import User

PATHS = ["/sites", "/cohorts", "/learners", "/learners/1", "/sessions", "/sessions/1", "/answers", "/feedback"]


def assert_unauthorized(response, *, invalid: bool):
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert ('error="invalid_token"' in response.headers["WWW-Authenticate"]) is invalid
    assert response.json["error"]["code"] == "unauthorized"


def test_no_token_is_401_with_a_bearer_challenge(api):
    for path in PATHS:
        assert_unauthorized(api(None).get(path), invalid=False)


def test_other_schemes_and_empty_tokens_are_401(api):
    for header in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "token abc", ""]:
        assert_unauthorized(api(None).get("/learners", headers={"Authorization": header}), invalid=False)


def test_a_wrong_token_is_401_invalid_token(api):
    for token in ["not-a-token", "x" * 5000, "ünïcode"]:
        assert_unauthorized(api(None, token=token).get("/learners"), invalid=True)


def test_post_without_token_is_401_not_a_csrf_error(api, world):
    response = api(None).post("/sessions", json={"cohort_id": world.cohort_a, "module_key": world.module_key,
                                                 "held_at": "2026-03-02T08:00:00Z"})
    assert_unauthorized(response, invalid=False)


def test_a_deactivated_users_token_is_refused(api):
    assert_unauthorized(api("disabled").get("/sites"), invalid=True)


def test_only_the_tokens_hash_is_stored(app, world):
    with session_scope(app) as db:
        user = db.get(User, world.admin)
        assert user.api_token_hash == hashlib.sha256(world.tokens["admin"].encode()).hexdigest()
        stored = {u.api_token_hash for u in db.exec(select(User)).all()}
    assert not set(world.tokens.values()) & stored


def test_the_openapi_document_needs_no_token(api):
    response = api(None).get("/openapi.json")
    assert response.status_code == 200 and response.json["openapi"].startswith("3.1")


def test_tokens_create_prints_a_working_token_once_and_replaces_the_old_one(api, runner, world):
    result = runner.invoke(args=["tokens", "create", "--email", "Supervisor_A@saathi.test"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert len(token) >= 40 and "\n" not in token
    assert "previous token no longer works" in result.stderr
    assert api(None, token=token).get("/sites").status_code == 200
    assert_unauthorized(api("supervisor_a").get("/sites"), invalid=True)


def test_tokens_revoke_stops_the_token(api, runner):
    assert api("trainer_a").get("/sites").status_code == 200
    result = runner.invoke(args=["tokens", "revoke", "--email", "trainer_a@saathi.test"])
    assert result.exit_code == 0 and "revoked" in result.output
    assert_unauthorized(api("trainer_a").get("/sites"), invalid=True)
    again = runner.invoke(args=["tokens", "revoke", "--email", "trainer_a@saathi.test"])
    assert again.exit_code == 0 and "had no token" in again.output


def test_tokens_cli_refuses_unknown_and_deactivated_users(runner, world):
    unknown = runner.invoke(args=["tokens", "create", "--email", "nobody@saathi.test"])
    assert unknown.exit_code != 0 and "no user nobody@saathi.test" in unknown.output
    disabled = runner.invoke(args=["tokens", "create", "--email", "disabled@saathi.test"])
    assert disabled.exit_code != 0 and "deactivated" in disabled.output

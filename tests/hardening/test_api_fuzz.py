"""Schemathesis against the JSON API's own OpenAPI document (/api/v1/openapi.json).

Every documented operation gets generated requests, valid and invalid, with an admin's
token: no 500, and every answer as the document says (status, content type, schema).
Skips while the API is not there.
"""
from __future__ import annotations

from itertools import product

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from app import create_app
from app.db import session_scope
from app.models import User
from tests.factories import make_learners, make_module
from tests.hardening.fuzz import examples, tally

OPENAPI = "/api/v1/openapi.json"
# Operations that refuse some schema-valid input for reasons no JSON schema can state: a
# phone number that ``phonenumbers`` finds invalid, a language Saathi does not ship, neither
# phone nor e-mail given, a journey step whose kind does not fit its stage. They answer 422
# with the reason (documented), so the "schema-valid input is accepted" check does not apply
# to them; every other check does.
DOMAIN_REFUSALS = {"POST /api/v1/mentoring/mentors": "refused", "POST /api/v1/mentoring/mentees": "refused",
                   "POST /api/v1/learners/{learner_id}/journey": "step_refused"}


@pytest.fixture
def api_app(app_config):
    app = create_app(app_config)
    if app.test_client().get(OPENAPI).status_code != 200:
        pytest.skip(f"no {OPENAPI} yet (app/web/api)")
    yield app
    app.extensions["saathi.engine"].dispose()


@pytest.fixture
def admin_token(api_app, clock):
    from app.learning.sessions import complete_session
    from app.web.api.auth import issue_token
    from tests.factories import cohort

    with api_app.app_context(), session_scope(api_app) as db:
        module = make_module(db)
        make_learners(db, clock.now())
        complete_session(db=db, cohort=cohort(db), module=module, held_at=clock.now(), now=clock.now())
        user = User(email="fuzz@saathi.test", name="Fuzz", role="admin", password_hash="!")
        db.add(user)
        db.flush()
        return issue_token(db=db, user=user)


def test_every_api_operation_keeps_its_contract(api_app, admin_token):
    """One hypothesis run per operation and mode (schemathesis' pytest plugin predates pytest 9)."""
    schema = schemathesis.openapi.from_wsgi(OPENAPI, api_app)
    headers = {"Authorization": f"Bearer {admin_token}"}
    failures, operations = {}, 0
    combos = list(product(schema.get_all_operations(), (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)))
    per_combo = max(15, examples("api", 15 * len(combos)) // len(combos))
    for result, mode in combos:
        operation = result.ok()
        operations += mode == GenerationMode.POSITIVE
        negative = mode == GenerationMode.NEGATIVE

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=per_combo, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case):
            tally("api")
            # A negative case may leave out the token on purpose: adding it back would turn
            # "unauthenticated request accepted" into a false failure.
            dropped = negative and "Authorization" not in (case.headers or {})  # noqa: B023  (run() is called in this iteration)
            excluded = [positive_data_acceptance] if operation.label in DOMAIN_REFUSALS else None  # noqa: B023  (run() is called in this iteration)
            response = case.call_and_validate(headers=None if dropped else headers, excluded_checks=excluded)
            if excluded and not negative and response.status_code == 422:  # noqa: B023  (run() is called in this iteration)
                assert response.json()["error"]["code"] == DOMAIN_REFUSALS[operation.label], response.text  # noqa: B023  (run() is called in this iteration)

        try:
            run()
        except Exception as exc:  # noqa: BLE001 - collected, reported together below
            failures[f"{operation.label} ({mode.value})"] = str(exc)[:1500]
    print(f"\n{operations} API operations fuzzed with valid and invalid input, {len(failures)} failing")
    assert operations and not failures, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())

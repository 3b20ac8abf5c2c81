"""The OpenAPI document: valid 3.1, lists exactly the routes the app serves, and every
response it documents, errors included, is what the API really sends."""
from __future__ import annotations

import re

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from app.web.api.openapi import HELPER_ENDPOINTS, build_document

DOC_URI = "urn:saathi:openapi"
MISSING = 999999


@pytest.fixture(scope="module")
def document():
    return build_document()


def operations(doc):
    return [(path, method, op) for path, item in doc["paths"].items() for method, op in item.items()]


def test_the_document_is_valid_openapi_3_1(client, document):
    validate(document)
    served = client.get("/api/v1/openapi.json")
    assert served.status_code == 200 and served.json == document
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": "A token from `saathi tokens create`."}


def test_it_lists_exactly_the_routes_the_app_serves(app, document):
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1") and rule.endpoint.removeprefix("api.") not in HELPER_ENDPOINTS:
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            served |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method) for path, method, _ in operations(document)}
    assert served == documented
    assert {"/api/v1/sites", "/api/v1/cohorts", "/api/v1/learners", "/api/v1/learners/{learner_id}",
            "/api/v1/sessions", "/api/v1/answers", "/api/v1/feedback"} <= {p for p, _ in documented}
    assert ("/api/v1/sessions", "post") in documented


def _request_for(path, method, op, status, world):
    """(token user, path, kwargs) of a request that should answer ``status``."""
    ids = {"learner_id": world.asha, "session_id": world.session_a, "mentee_id": world.mentee_a, "mentor_id": world.mentor_a,
           "pair_id": world.pair_a}
    # Per POST: a body that succeeds, who may send it, and who may not.
    bodies = {"/api/v1/sessions": ({"cohort_id": world.cohort_a, "module_key": world.module_key,
                                    "held_at": "2026-03-02T08:00:00Z"}, "trainer_a", "supervisor_a"),
              "/api/v1/learners/{learner_id}/journey": ({"stage": "outcome", "kind": "contract",
                                                         "starts_on": "2026-03-01"}, "supervisor_a", "trainer_a"),
              "/api/v1/mentoring/mentors": ({"site_id": world.site_a, "name": "Dev", "profession": "engineer",
                                             "email": "dev@saathi.test"}, "trainer_a", None),
              "/api/v1/mentoring/mentees": ({"site_id": world.site_a, "name": "Neha", "profession": "architect",
                                             "phone": "+919812340077"}, "trainer_a", None),
              "/api/v1/mentoring/pairs": ({"mentee_id": world.waiting_a, "mentor_id": world.mentor_a},
                                          "supervisor_a", "trainer_a"),
              "/api/v1/mentoring/pairs/{pair_id}/meetings": ({"held_on": "2026-03-01", "discussed": "CV"},
                                                             "trainer_a", None),
              "/api/v1/learners/{learner_id}/milestones": ({"key": "cv"}, "trainer_a", None)}
    body, poster, refused = bodies.get(path, (None, "trainer_a", "supervisor_a"))
    user = poster if method == "post" else "admin"
    kwargs = {}
    if "requestBody" in op:
        kwargs["json"] = dict(body)
    query_ids = [p["name"] for p in op.get("parameters", []) if p["in"] == "query" and p["name"].endswith("_id")]
    if status == 401:
        user = None
    elif status == 403:
        user = refused
    elif status == 404:
        if "{" in path:
            ids = {k: MISSING for k in ids}
        elif query_ids:
            kwargs["query_string"] = {query_ids[0]: MISSING}
        else:  # the first field naming another object
            kwargs["json"][next(k for k in kwargs["json"] if k.endswith("_id"))] = MISSING
    elif status == 422:
        if "requestBody" in op:
            kwargs["json"] = {}
        else:
            kwargs["query_string"] = {"limit": 0}
    elif status == 400:
        kwargs = {"data": "not json"}
    return user, path.format(**ids), kwargs


def _deref(doc, obj):
    if "$ref" in obj:
        target = doc
        for part in obj["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return target
    return obj


def assert_conforms(doc, response, documented):
    """``response`` has the documented content type, headers and body schema."""
    spec = _deref(doc, documented)
    assert response.mimetype == "application/json"
    for name, header in spec.get("headers", {}).items():
        assert not header.get("required") or name in response.headers, name
    schema = spec["content"]["application/json"]["schema"]
    registry = Registry().with_resource(DOC_URI, Resource.from_contents(doc, default_specification=DRAFT202012))
    if "$ref" in schema:
        schema = {"$ref": DOC_URI + schema["$ref"]}
    validator = Draft202012Validator(schema, registry=registry, format_checker=FormatChecker())
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(response.json)]
    assert not errors, errors


def test_every_documented_response_is_what_the_api_sends(api, world, document):
    exercised = []
    for path, method, op in operations(document):
        for status in op["responses"]:
            user, url, kwargs = _request_for(path, method, op, int(status), world)
            response = api(user).request(method.upper(), url.removeprefix("/api/v1"), **kwargs)
            assert response.status_code == int(status), (method, url, kwargs, response.json)
            assert_conforms(document, response, op["responses"][status])
            exercised.append((method, path, status))
    assert len(exercised) >= 30


def test_other_methods_are_405_with_allow_and_options_lists_the_documented_ones(api, world):
    client = api("admin")
    for method in ("DELETE", "PUT", "PATCH", "QUERY"):
        response = client.request(method, "/learners")
        assert response.status_code == 405
        assert response.headers["Allow"] == "GET, HEAD, OPTIONS"
        assert response.json["error"]["code"] == "method_not_allowed"
    assert client.request("DELETE", f"/learners/{world.asha}").headers["Allow"] == "GET, HEAD, OPTIONS"
    assert client.request("PUT", "/sessions").headers["Allow"] == "GET, HEAD, OPTIONS, POST"
    options = client.request("OPTIONS", "/sessions")
    assert options.status_code == 204 and options.headers["Allow"] == "GET, HEAD, OPTIONS, POST"
    assert api(None).request("OPTIONS", "/sites").headers["Allow"] == "GET, HEAD, OPTIONS"


def test_unknown_api_paths_and_bad_ids_answer_in_the_api_error_shape(api):
    for path in ("/nope", "/learners/abc", "/learners/0", "/learners/-1", "/learners/99999999999",
                 "/learners/1/cards", "/sessions/1.5"):
        response = api("admin").get(path)
        assert response.status_code == 404, path
        assert response.json["error"]["code"] == "not_found", path

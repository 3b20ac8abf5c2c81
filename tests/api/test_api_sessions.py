"""POST /sessions: trainers and admins mark a session as held, which queues the quiz;
supervisors are refused; the domain's refusals come back as 422 with its reason."""
from __future__ import annotations

from sqlmodel import select

from app.db import session_scope
from app.models import Module, Prompt, TrainingSession


def body(world, **overrides):
    return {"cohort_id": world.cohort_a, "module_key": world.module_key,
            "held_at": "2026-03-02T12:00:00+05:30", **overrides}


def test_a_trainer_marks_a_session_as_held(api, app, world):
    response = api("trainer_a").post("/sessions", json=body(world))
    assert response.status_code == 201, response.json
    created = response.json
    assert created["learners_queued"] == 2
    assert created["held_at"] == "2026-03-02T06:30:00Z"
    assert created["cohort"] == {"id": world.cohort_a, "name": "andheri-march"}
    assert created["created_by"] == world.trainer_a and created["answers"] == 0
    assert response.headers["Location"] == f"/api/v1/sessions/{created['id']}"
    assert api("supervisor_a").get(response.headers["Location"].removeprefix("/api/v1")).json == \
        {k: v for k, v in created.items() if k != "learners_queued"}
    with session_scope(app) as db:
        prompts = db.exec(select(Prompt).where(Prompt.training_session_id == created["id"])).all()
    # greeting, 3 questions, rating, comment for each of the two learners
    assert len(prompts) == 12


def test_an_admin_may_record_for_any_site(api, world):
    response = api("admin").post("/sessions", json=body(world, cohort_id=world.cohort_b))
    assert response.status_code == 201 and response.json["site"]["id"] == world.site_b


def test_a_supervisor_is_refused_with_403(api, app, world):
    response = api("supervisor_a").post("/sessions", json=body(world))
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"
    with session_scope(app) as db:
        assert len(db.exec(select(TrainingSession)).all()) == 2


def test_the_domains_refusals_are_422_with_its_reason(api, app, world):
    client = api("trainer_a")
    future = client.post("/sessions", json=body(world, held_at="2026-03-03T00:00:00Z"))
    assert future.status_code == 422
    assert future.json["error"] == {"code": "session_refused",
                                    "message": "a session cannot be marked as held in the future"}
    assert client.post("/sessions", json=body(world)).status_code == 201
    again = client.post("/sessions", json=body(world, held_at="2026-03-02T06:30:00Z"))
    assert again.status_code == 422 and "already has" in again.json["error"]["message"]
    with session_scope(app) as db:
        db.exec(select(Module).where(Module.id == world.module)).one().active = False
    retired = client.post("/sessions", json=body(world, held_at="2026-03-02T07:00:00Z"))
    assert retired.status_code == 422 and "retired" in retired.json["error"]["message"]


def test_an_unknown_module_is_404(api, world):
    response = api("trainer_a").post("/sessions", json=body(world, module_key="no/such-module"))
    assert response.status_code == 404 and response.json["error"]["message"] == "No module 'no/such-module'."


def test_invalid_bodies_are_422_with_the_field(api, world):
    client = api("trainer_a")
    cases = [
        ("held_at", body(world, held_at="2026-03-02T08:00:00")),  # no offset: ambiguous
        ("held_at", body(world, held_at=1772438400)),  # a number is not read as a Unix time
        ("cohort_id", body(world, cohort_id="first")),
        ("module_key", {k: v for k, v in body(world).items() if k != "module_key"}),
        ("extra", body(world, extra=1)),
    ]
    for field, payload in cases:
        response = client.post("/sessions", json=payload)
        assert response.status_code == 422, (field, response.json)
        assert response.json["error"]["details"][0]["loc"][:2] == ["body", field]
    assert client.post("/sessions", json=[1, 2]).status_code == 422


def test_a_body_that_is_not_json_is_400(api):
    response = api("trainer_a").post("/sessions", data="cohort_id=1", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and response.json["error"]["code"] == "bad_request"

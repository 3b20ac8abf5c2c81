"""The journey endpoints: read a learner's steps, record one, inside the caller's sites."""
from __future__ import annotations

STEP = {"stage": "placement", "kind": "internship", "starts_on": "2026-02-20", "note": "Bank branch"}


def test_a_supervisor_records_a_step_and_reads_the_journey(api, world):
    created = api("supervisor_a").post(f"/learners/{world.asha}/journey", json=STEP)
    assert created.status_code == 201, created.json
    assert created.headers["Location"].endswith(f"/api/v1/learners/{world.asha}/journey")
    assert created.json["site"] == {"id": world.site_a, "name": "Andheri Mall"}
    journey = api("trainer_a").get(f"/learners/{world.asha}/journey")
    assert journey.status_code == 200
    assert journey.json["learner"]["name"] == "Asha Devi"
    assert [(s["stage"], s["kind"], s["starts_on"], s["note"]) for s in journey.json["steps"]] == [
        ("placement", "internship", "2026-02-20", "Bank branch")]


def test_outside_the_callers_sites_is_not_found(api, world):
    assert api("supervisor_a").get(f"/learners/{world.amina}/journey").status_code == 404
    assert api("supervisor_a").post(f"/learners/{world.amina}/journey", json=STEP).status_code == 404
    refused = api("supervisor_a").post(f"/learners/{world.asha}/journey", json={**STEP, "site_id": world.site_b})
    assert refused.status_code == 404
    assert api("admin").get(f"/learners/{world.asha}/journey").json["steps"] == []


def test_trainers_may_not_record_and_bad_steps_are_refused(api, world):
    assert api("trainer_a").post(f"/learners/{world.asha}/journey", json=STEP).status_code == 403
    future = api("supervisor_a").post(f"/learners/{world.asha}/journey", json={**STEP, "starts_on": "2027-01-01"})
    assert future.status_code == 422 and "future" in future.json["error"]["message"]
    wrong = api("supervisor_a").post(f"/learners/{world.asha}/journey", json={**STEP, "kind": "contract"})
    assert wrong.status_code == 422
    unknown = api("supervisor_a").post(f"/learners/{world.asha}/journey", json={**STEP, "stage": "retired"})
    assert unknown.status_code == 422
    assert api("admin").get(f"/learners/{world.asha}/journey").json["steps"] == []


def test_the_openapi_document_describes_the_journey(api, world):
    doc = api(None).get("/openapi.json").json
    path = doc["paths"]["/api/v1/learners/{learner_id}/journey"]
    assert set(path) == {"get", "post"}
    assert "403" in path["post"]["responses"] and "422" in path["post"]["responses"]
    assert "JourneyStepCreate" in doc["components"]["schemas"]


def test_outcomes_per_site_and_cohort_inside_the_callers_sites(api, world):
    for body in ({"stage": "graduated", "starts_on": "2025-06-01"},
                 {"stage": "outcome", "kind": "promotion", "starts_on": "2025-08-01"}):
        assert api("supervisor_a").post(f"/learners/{world.asha}/journey", json=body).status_code == 201
    rows = api("supervisor_a").get("/outcomes").json["rows"]
    assert [(r["site"]["name"], r["cohort"]["name"] if r["cohort"] else None) for r in rows] == [
        ("Andheri Mall", None), ("Andheri Mall", "andheri-march")]
    assert rows[0]["graduated"] == rows[0]["due"] == rows[0]["in_work"] == [world.asha]
    assert rows[0]["share"] == 1.0 and rows[0]["target"] is None
    assert len(api("admin").get("/outcomes").json["rows"]) == 4


def test_an_employer_by_name_and_the_milestones(api, world):
    created = api("supervisor_a").post(f"/learners/{world.asha}/journey", json={**STEP, "employer": "Hotel Sahara Star"})
    assert created.status_code == 201 and created.json["employer"] == "Hotel Sahara Star"
    listed = api("trainer_a").get(f"/learners/{world.asha}/milestones")
    assert listed.status_code == 200
    assert [(m["key"], m["status"]) for m in listed.json["milestones"]] == [
        ("cv", None), ("bank", None), ("booking", None), ("interview", None)]
    done = api("trainer_a").post(f"/learners/{world.asha}/milestones", json={"key": "cv"})
    assert done.status_code == 200 and (done.json["status"], done.json["confirmed_by_staff"]) == ("reached", True)
    assert api("trainer_a").post(f"/learners/{world.asha}/milestones", json={"key": "yoga"}).status_code == 404
    assert api("trainer_a").post(f"/learners/{world.amina}/milestones", json={"key": "cv"}).status_code == 404
    assert api("trainer_a").get(f"/learners/{world.amina}/milestones").status_code == 404
    doc = api(None).get("/openapi.json").json
    assert "post" in doc["paths"]["/api/v1/learners/{learner_id}/milestones"]

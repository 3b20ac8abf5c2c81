"""A supervisor of site A cannot read, filter by, or even detect site B's objects: each is
a 404 exactly like an id that does not exist, and no list ever carries a site-B row."""
from __future__ import annotations

import json
import re

import pytest

MISSING = 999999


def site_b_targets(world):
    """(path, query) pairs naming one site-B object each."""
    return [
        (f"/learners/{world.amina}", {}),
        (f"/sessions/{world.session_b}", {}),
        ("/cohorts", {"site_id": world.site_b}),
        ("/learners", {"site_id": world.site_b}),
        ("/learners", {"cohort_id": world.cohort_b}),
        ("/sessions", {"site_id": world.site_b}),
        ("/sessions", {"cohort_id": world.cohort_b}),
        ("/answers", {"site_id": world.site_b}),
        ("/answers", {"cohort_id": world.cohort_b}),
        ("/answers", {"learner_id": world.amina}),
        ("/answers", {"session_id": world.session_b}),
        ("/feedback", {"site_id": world.site_b}),
        ("/feedback", {"cohort_id": world.cohort_b}),
        ("/feedback", {"learner_id": world.tesfaye}),
        ("/feedback", {"session_id": world.session_b}),
    ]


def missing_twin(path, query, world):
    """The same request naming an id that does not exist."""
    for real in (world.amina, world.session_b):
        path = path.replace(f"/{real}", f"/{MISSING}")
    return path, {k: MISSING for k in query}


def words(message: str) -> str:
    return re.sub(r"\d+", "N", message)


@pytest.mark.parametrize("name", ["supervisor_a", "trainer_a"])
def test_every_site_b_object_is_404_like_a_missing_one(api, world, name):
    client = api(name)
    for path, query in site_b_targets(world):
        response = client.get(path, query_string=query)
        assert response.status_code == 404, (path, query, response.json)
        assert response.json["error"]["code"] == "not_found"
        twin_path, twin_query = missing_twin(path, query, world)
        twin = client.get(twin_path, query_string=twin_query)
        assert twin.status_code == 404
        # The same words, only the id differs: nothing tells "elsewhere" from "nowhere".
        assert words(response.json["error"]["message"]) == words(twin.json["error"]["message"])


def test_the_admin_reaches_every_site_b_object(api, world):
    for path, query in site_b_targets(world):
        assert api("admin").get(path, query_string=query).status_code == 200, (path, query)


def test_supervisor_b_sees_site_b_and_not_site_a(api, world):
    client = api("supervisor_b")
    assert client.get(f"/learners/{world.amina}").status_code == 200
    assert client.get(f"/learners/{world.asha}").status_code == 404
    assert client.get(f"/sessions/{world.session_a}").status_code == 404


@pytest.mark.parametrize("path", ["/sites", "/cohorts", "/learners", "/sessions", "/answers", "/feedback"])
def test_site_b_never_appears_in_site_a_lists(api, world, path):
    body = json.dumps(api("supervisor_a").get(path, query_string={"limit": 200}).json, ensure_ascii=False)
    for secret in ("Oslo", "Amina", "Tesfaye", "oslo-mars", "+4791", "+47"):
        assert secret not in body, (path, secret)


def test_a_trainer_cannot_record_a_session_for_another_sites_cohort(api, world):
    response = api("trainer_a").post("/sessions", json={
        "cohort_id": world.cohort_b, "module_key": world.module_key, "held_at": "2026-03-02T08:00:00Z"})
    assert response.status_code == 404
    assert response.json["error"]["message"] == f"No cohort {world.cohort_b} among your sites."

"""The mentoring endpoints: enrol, suggestions with reasons, propose, meetings; inside the caller's sites."""
from __future__ import annotations


def test_suggestions_carry_reasons_and_a_supervisor_proposes(api, world):
    found = api("supervisor_a").get(f"/mentoring/mentees/{world.waiting_a}/suggestions")
    assert found.status_code == 200
    assert found.json["data"] == [{"mentor": {"id": world.mentor_a, "name": "Mentor A"}, "free": 1,
                                   "reasons": [{"code": "profession", "value": "engineer"}]}]
    body = {"mentee_id": world.waiting_a, "mentor_id": world.mentor_a}
    assert api("trainer_a").post("/mentoring/pairs", json=body).status_code == 403
    created = api("supervisor_a").post("/mentoring/pairs", json=body)
    assert created.status_code == 201 and created.json["status"] == "proposed"
    assert created.headers["Location"].endswith(f"/api/v1/mentoring/pairs/{created.json['id']}")
    again = api("supervisor_a").post("/mentoring/pairs", json=body)
    assert again.status_code == 422 and "already has a mentor" in again.json["error"]["message"]
    assert api("supervisor_a").get(f"/mentoring/mentees/{world.waiting_a}/suggestions").json["data"] == []


def test_lists_stay_inside_the_callers_sites_and_mask_phones(api, world):
    mentors = api("supervisor_a").get("/mentoring/mentors").json["data"]
    assert [m["name"] for m in mentors] == ["Mentor A"]
    assert mentors[0]["phone"] != "+919812340001" and mentors[0]["phone"].endswith("0001")
    assert mentors[0]["languages"] == ["arabic"] and mentors[0]["free"] == 1
    assert api("admin").get(f"/mentoring/mentors/{world.mentor_a}").json["phone"] == "+919812340001"
    assert api("supervisor_a").get(f"/mentoring/mentors/{world.mentor_b}").status_code == 404
    assert api("supervisor_a").get("/mentoring/mentees", query_string={"site_id": world.site_b}).status_code == 404
    names = {p["mentee"]["name"] for p in api("admin").get("/mentoring/pairs", query_string={"status": "active"}).json["data"]}
    assert names == {"Mentee A", "Mentee B"}
    assert api("supervisor_a").get(f"/mentoring/pairs/{world.pair_b}/meetings").status_code == 404


def test_enrol_and_log_a_meeting(api, world):
    bad = api("trainer_a").post("/mentoring/mentees", json={"site_id": world.site_a, "name": "X", "profession": "cook"})
    assert bad.status_code == 422 and "phone number or an e-mail" in bad.json["error"]["message"]
    made = api("trainer_a").post("/mentoring/mentees", json={"site_id": world.site_a, "name": "Neha",
                                                            "profession": " Architect", "phone": "98123 40077"})
    assert made.status_code == 201 and made.json["profession"] == "architect"
    assert api("trainer_a").post("/mentoring/mentors", json={"site_id": world.site_b, "name": "Y", "profession": "x",
                                                            "email": "y@x.test"}).status_code == 404
    logged = api("trainer_a").post(f"/mentoring/pairs/{world.pair_a}/meetings",
                                   json={"held_on": "2026-03-01", "discussed": "Interview practice"})
    assert logged.status_code == 201
    future = api("trainer_a").post(f"/mentoring/pairs/{world.pair_a}/meetings",
                                   json={"held_on": "2026-04-01", "discussed": "x"})
    assert future.status_code == 422
    log = api("trainer_a").get(f"/mentoring/pairs/{world.pair_a}/meetings").json["data"]
    assert [m["discussed"] for m in log] == ["Interview practice", "CV review"]

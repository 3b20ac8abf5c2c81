"""Every list and detail for each role: what is in it, what is filtered out, how it pages."""
from __future__ import annotations

import pytest
from sqlmodel import func, select

from app.db import session_scope
from app.models import Answer, Card, Feedback, Learner
from tests.api.conftest import ROLES

LISTS = ["/sites", "/cohorts", "/learners", "/sessions", "/answers", "/feedback"]
SITE_OF = {
    "/sites": lambda row: row["id"],
    "/cohorts": lambda row: row["site"]["id"],
    "/learners": lambda row: row["site"]["id"],
    "/sessions": lambda row: row["site"]["id"],
    "/answers": lambda row: row["site_id"],
    "/feedback": lambda row: row["site"]["id"],
}


def visible_sites(world, name):
    return {world.site_a, world.site_b} if name == "admin" else {world.site_a}


def every_row(client, path, **params):
    """All pages of ``path``, following ``next_cursor``."""
    rows, cursor = [], None
    while True:
        response = client.get(path, query_string={**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.json
        rows += response.json["data"]
        cursor = response.json["next_cursor"]
        if cursor is None:
            return rows


@pytest.mark.parametrize("name", [*ROLES, "supervisor_b"])
def test_each_list_shows_exactly_the_users_sites(api, world, name):
    expected = {world.site_b} if name == "supervisor_b" else visible_sites(world, name)
    for path in LISTS:
        rows = every_row(api(name), path, limit=2)
        assert {SITE_OF[path](row) for row in rows} == expected, path
        assert [row["id"] for row in rows] == sorted({row["id"] for row in rows}), path  # id order, no repeats


@pytest.mark.parametrize("name", ROLES)
def test_counts_match_the_database(api, app, world, name):
    sites = visible_sites(world, name)
    with session_scope(app) as db:
        answers = db.exec(select(func.count(Answer.id)).join(Learner, Learner.id == Answer.learner_id)
                          .where(Learner.site_id.in_(sites))).one()
        feedback = db.exec(select(func.count(Feedback.id)).join(Learner, Learner.id == Feedback.learner_id)
                           .where(Learner.site_id.in_(sites))).one()
    assert answers == 6 * len(sites) and feedback
    assert len(every_row(api(name), "/learners")) == 2 * len(sites)
    assert len(every_row(api(name), "/sessions")) == len(sites)
    assert len(every_row(api(name), "/answers")) == answers
    assert len(every_row(api(name), "/feedback")) == feedback


def test_phone_numbers_are_full_for_admins_and_masked_for_others(api, world):
    full = {row["name"]: row["phone"] for row in every_row(api("admin"), "/learners")}
    assert full["Asha Devi"] == "+919876543210"
    for name in ("trainer_a", "supervisor_a"):
        masked = {row["name"]: row["phone"] for row in every_row(api(name), "/learners")}
        assert masked["Asha Devi"] == "+91 ••••• •3210"
        assert api(name).get(f"/learners/{world.asha}").json["phone"] == "+91 ••••• •3210"
    assert api("admin").get(f"/learners/{world.asha}").json["phone"] == "+919876543210"


@pytest.mark.parametrize("name", ROLES)
def test_learner_detail_has_cards_next_due_and_totals(api, app, world, name):
    response = api(name).get(f"/learners/{world.asha}")
    assert response.status_code == 200
    learner = response.json
    assert learner["name"] == "Asha Devi" and learner["site"]["id"] == world.site_a
    assert learner["cohort"] == {"id": world.cohort_a, "name": "andheri-march"}
    assert (learner["answers"], learner["correct"]) == (3, 3)
    with session_scope(app) as db:
        dues = sorted(c.due for c in db.exec(select(Card).where(Card.learner_id == world.asha)).all())
    assert len(learner["cards"]) == len(dues) == 3
    assert [c["due"] for c in learner["cards"]] == sorted(c["due"] for c in learner["cards"])
    assert learner["next_due"] == learner["cards"][0]["due"]
    assert learner["cards"][0]["item"]["key"].startswith("digital-banking/upi-safety/")
    assert learner["pending_prompt"] is None  # the quiz, rating and comment are all answered


def test_sessions_carry_module_cohort_and_quiz_numbers(api, world):
    rows = every_row(api("supervisor_a"), "/sessions")
    assert len(rows) == 1
    session = rows[0]
    assert session["id"] == world.session_a and session["module_key"] == "digital-banking/upi-safety"
    assert session["cohort"] == {"id": world.cohort_a, "name": "andheri-march"}
    # Asha: 3 right; Ravi: 1 of 3 right ("1", "2", "3" against 2, 2, 1). Ratings 5 and 2.
    assert (session["answers"], session["correct"], session["ratings"]) == (6, 4, 2)
    assert session["average_rating"] == 3.5
    assert api("supervisor_a").get(f"/sessions/{world.session_a}").json == session


def test_answers_filters(api, world):
    client = api("admin")
    mine = every_row(client, "/answers", learner_id=world.asha)
    assert len(mine) == 3 and {a["learner"]["id"] for a in mine} == {world.asha}
    assert all(a["correct"] for a in mine) and {a["kind"] for a in mine} == {"question"}
    assert {a["session_id"] for a in every_row(client, "/answers", session_id=world.session_b)} == {world.session_b}
    assert {a["site_id"] for a in every_row(client, "/answers", cohort_id=world.cohort_b)} == {world.site_b}
    assert every_row(client, "/answers", since="2026-03-03T00:00:00Z") == []
    assert len(every_row(client, "/answers", since="2026-03-02T08:00:00+00:00")) == 12
    # A "+" typed unencoded into a URL arrives as a space; it is still read as an offset.
    assert client.get("/answers?since=2026-03-02T14:00:00 05:30").json["data"]


def test_feedback_filters(api, world):
    client = api("admin")
    asha = every_row(client, "/feedback", learner_id=world.asha)
    assert [(f["rating"], f["comment"]) for f in asha] == [(5, "Very useful, thank you")]  # one entry per session
    assert all(f["module_key"] == "digital-banking/upi-safety" for f in asha)
    oslo = every_row(client, "/feedback", cohort_id=world.cohort_b)
    assert oslo and {f["cohort"]["id"] for f in oslo} == {world.cohort_b}
    flagged = every_row(client, "/feedback", flagged="true")
    assert flagged and all(f["flagged"] for f in flagged)
    assert every_row(client, "/feedback", since="2027-01-01T00:00:00Z") == []


def test_learner_and_cohort_filters(api, world):
    client = api("admin")
    assert {r["name"] for r in every_row(client, "/learners", site_id=world.site_b)} == {"Amina Yusuf", "Tesfaye Bekele"}
    assert {r["name"] for r in every_row(client, "/learners", cohort_id=world.cohort_a)} == {"Asha Devi", "Ravi Kumar"}
    assert every_row(client, "/learners", status="opted_out") == []
    cohorts = every_row(client, "/cohorts", site_id=world.site_a)
    assert [(c["name"], c["learners"]) for c in cohorts] == [("andheri-march", 2)]


def test_pages_follow_the_cursor_without_gaps_or_repeats(api, world):
    client = api("admin")
    first = client.get("/learners", query_string={"limit": 3}).json
    assert len(first["data"]) == 3 and first["next_cursor"]
    second = client.get("/learners", query_string={"limit": 3, "cursor": first["next_cursor"]}).json
    assert len(second["data"]) == 1 and second["next_cursor"] is None
    assert [r["id"] for r in first["data"] + second["data"]] == [r["id"] for r in every_row(client, "/learners")]
    beyond = client.get("/learners", query_string={"cursor": "9999999999"}).json
    assert beyond == {"data": [], "next_cursor": None}


BAD_QUERIES = [{"limit": "0"}, {"limit": "201"}, {"limit": "ten"}, {"cursor": "abc"}, {"site_id": "0"},
               {"site_id": "x"}, {"since": "yesterday"}, {"since": "1700000000"}, {"since": "2026-03-01"},
               {"since": "2026-03-01T12:99:00Z"}, {"status": "happy"}, {"sort": "name"}]


def test_bad_query_parameters_are_422_with_details(api):
    for query in BAD_QUERIES:
        response = api("admin").get("/learners", query_string=query)
        assert response.status_code == 422, query
        error = response.json["error"]
        assert error["code"] == "invalid_request"
        assert error["details"][0]["loc"][:2] == ["query", next(iter(query))]

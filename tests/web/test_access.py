"""A supervisor or trainer of one site sees nothing of another: every page, export and
action on the other site's objects answers 403 or 404, and lists never mention them."""
from __future__ import annotations

import pytest
from sqlmodel import func, select

from app.models import Feedback, Learner, TrainingSession
from tests.web.conftest import app_db


def other_site_pages(w) -> list[str]:
    """Every GET that shows one of site B's objects."""
    return [
        f"/sites/{w.site_b}", f"/sites/{w.site_a}?cohort={w.cohort_b}", f"/cohorts/{w.cohort_b}",
        f"/sessions/{w.session_b}", f"/learners/{w.amina}", f"/learners/{w.amina}/export.json",
        f"/sites/{w.site_b}/testimonials", f"/sites/{w.site_b}/recognition",
        f"/sites/{w.site_b}/reports/weekly", f"/sites/{w.site_b}/reports/monthly",
        f"/sites/{w.site_b}/reports/weekly.csv", f"/sites/{w.site_b}/reports/monthly.csv",
        f"/sites/{w.site_b}/reports/weekly.pdf",
        f"/feedback?site={w.site_b}", f"/feedback?cohort={w.cohort_b}", f"/feedback?session={w.session_b}",
        f"/learners?site={w.site_b}", f"/learners?cohort={w.cohort_b}",
        f"/simulator/{w.amina}",
    ]


def other_site_posts(w) -> list[tuple[str, dict]]:
    return [
        (f"/feedback/{w.feedback_b}/unflag", {}),
        (f"/feedback/{w.feedback_b}/testimonial", {"consent": "1", "confirm": "yes"}),
        (f"/learners/{w.amina}/erase", {"confirm": "ERASE"}),
        (f"/simulator/{w.amina}/send", {"body": "2"}),
        ("/simulator/learners", {"site": str(w.site_b), "name": "Spy"}),
        ("/simulator/dispatch", {"learner": str(w.amina)}),
    ]


@pytest.mark.parametrize("role", ["supervisor_a", "trainer_a"])
def test_nothing_of_another_site_is_reachable(as_user, world, role):
    client = as_user(role)
    for path in other_site_pages(world):
        response = client.get(path)
        assert response.status_code in (403, 404), (role, path, response.status_code)
        assert b"Amina" not in response.data and b"Oslo" not in response.data, path
    for path, data in other_site_posts(world):
        response = client.post(path, data=data)
        assert response.status_code in (403, 404), (role, path, response.status_code)


def test_refused_actions_change_nothing(web_app, as_user, world):
    for role in ("supervisor_a", "trainer_a"):
        client = as_user(role)
        for path, data in other_site_posts(world):
            client.post(path, data=data)
    with app_db(web_app) as db:
        feedback = db.get(Feedback, world.feedback_b)
        assert feedback.flagged and not feedback.testimonial
        assert db.get(Learner, world.amina) is not None
        assert db.exec(select(func.count(Learner.id)).where(Learner.name == "Spy")).one() == 0


def test_objects_of_the_users_own_site_are_shown(as_user, world):
    client = as_user("supervisor_b")
    for path in other_site_pages(world):
        if "export.json" in path or "simulator" in path or f"sites/{world.site_a}" in path:
            continue  # admins only, trainers only, and site A
        assert client.get(path, follow_redirects=True).status_code == 200, path
    assert b"Oslo secret comment" in client.get("/feedback").data


def test_lists_never_mention_another_site(as_user, world):
    client = as_user("supervisor_a")
    for path in ["/", "/feedback", "/feedback?comments=1", "/learners", "/testimonials", "/reports", "/recognition",
                 f"/sites/{world.site_a}", f"/sessions/{world.session_a}"]:
        html = client.get(path, follow_redirects=True).data.decode()
        for secret in ("Oslo", "Amina", "Tesfaye", "secret comment"):
            assert secret not in html, (path, secret)
    assert "Asha Devi" in client.get("/learners").data.decode()


def test_supervisors_have_no_workspace_or_simulator(as_user, world):
    client = as_user("supervisor_a")
    for path in ["/workspace/sessions", "/workspace/learners/import", "/workspace/content",
                 f"/workspace/modules/{world.module}/preview", "/simulator/", f"/simulator/{world.asha}"]:
        assert client.get(path).status_code == 403, path
    assert client.post("/workspace/sessions", data={"cohort": world.cohort_a, "module": world.module,
                                                    "held_at": "2026-03-02T10:00"}).status_code == 403
    assert b"Sessions" not in client.get("/").data.split(b"<main")[0]  # no workspace links in the menu


def test_only_admins_export_or_erase(as_user, world):
    for role in ("supervisor_a", "trainer_a"):
        client = as_user(role)
        assert client.get(f"/learners/{world.asha}/export.json").status_code == 403
        assert client.post(f"/learners/{world.asha}/erase", data={"confirm": "ERASE"}).status_code == 403


def test_trainer_cannot_hold_a_session_for_another_sites_cohort(web_app, as_user, world):
    client = as_user("trainer_a")
    response = client.post("/workspace/sessions", data={"cohort": world.cohort_b, "module": world.module,
                                                        "held_at": "2026-03-02T11:00"}, follow_redirects=True)
    assert response.status_code == 200
    with app_db(web_app) as db:
        assert db.exec(select(func.count(TrainingSession.id))
                       .where(TrainingSession.cohort_id == world.cohort_b)).one() == 1  # only the world's
    assert b"oslo-mars" not in client.get("/workspace/sessions").data


def test_trainer_cannot_import_into_another_site_nor_take_its_learners(web_app, as_user, world):
    sheet = ("phone,name,site,language,cohort\n"
             "+4791000003,New In Oslo,Oslo Læringssenter,en,oslo-mars\n"
             "+4791000001,Amina Stolen,Andheri Mall,en,andheri-march\n"
             "+919876543212,Kiran Shah,Andheri Mall,hi,andheri-march\n")
    response = as_user("trainer_a").post("/workspace/learners/import", data={"text": sheet})
    html = response.data.decode()
    assert "1 created, 0 updated, 0 unchanged, 2 rejected." in html
    assert "is not one of your sites" in html and "belongs to a learner of another site" in html
    with app_db(web_app) as db:
        amina = db.get(Learner, world.amina)
        assert amina.name == "Amina Yusuf" and amina.site_id == world.site_b
        assert db.exec(select(Learner).where(Learner.phone == "+4791000003")).first() is None
        assert db.exec(select(Learner).where(Learner.phone == "+919876543212")).one().site_id == world.site_a

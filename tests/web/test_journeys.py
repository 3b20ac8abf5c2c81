"""Journeys on the staff pages: supervisors record dated steps inside their own sites."""
from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import select

from app.journeys.steps import JourneyError, journey_of, record_step
from app.models import Cohort, Learner
from app.models.journey import JourneyStep
from app.people.changes import move_learner
from app.web.dashboard.privacy import erase_learner, export_learner
from tests.web.conftest import app_db, csrf_token

PLACEMENT = {"stage": "placement", "kind": "trial", "starts_on": "2026-02-20", "ends_on": "2026-05-20",
             "note": "Three months at the checkout"}


def steps_of(web_app, learner_id):
    with app_db(web_app) as db:
        return [(s.stage, s.kind, s.site_id, s.note) for s in journey_of(db=db, learner_id=learner_id)]


def test_a_supervisor_records_a_placement_and_the_learner_page_shows_it(web_app, as_user, world):
    client = as_user("supervisor_a")
    response = client.post(f"/learners/{world.asha}/journey", data={**PLACEMENT, "site": world.site_a},
                           follow_redirects=True)
    assert b"Step recorded." in response.data
    assert steps_of(web_app, world.asha) == [("placement", "trial", world.site_a, "Three months at the checkout")]
    page = client.get(f"/learners/{world.asha}").data.decode()
    assert "Placement · Trial" in page and "Three months at the checkout" in page
    assert "sup.a@saathi.test" in page  # who recorded it


def test_the_form_needs_its_csrf_token(csrf_app, world):
    client = csrf_app.test_client()
    page = client.get("/login").data.decode()
    client.post("/login", data={"email": world.email_supervisor_a, "password": "correct horse battery",
                                "csrf_token": csrf_token(page)})
    assert client.post(f"/learners/{world.asha}/journey", data={**PLACEMENT, "site": world.site_a}).status_code == 400
    page = client.get(f"/learners/{world.asha}/journey").data.decode()
    response = client.post(f"/learners/{world.asha}/journey", follow_redirects=True,
                           data={**PLACEMENT, "site": world.site_a, "csrf_token": csrf_token(page)})
    assert b"Step recorded." in response.data


def test_another_sites_learner_or_employer_site_is_out_of_reach(web_app, as_user, world):
    client = as_user("supervisor_a")
    assert client.get(f"/learners/{world.amina}/journey").status_code == 404
    assert client.post(f"/learners/{world.amina}/journey", data={**PLACEMENT, "site": world.site_b}).status_code == 404
    # Oslo is not among the employer sites a supervisor of Andheri may choose.
    page = client.post(f"/learners/{world.asha}/journey", data={**PLACEMENT, "site": world.site_b}).data.decode()
    assert "Oslo Læringssenter" not in page and "Not a valid choice." in page
    assert steps_of(web_app, world.amina) == [] and steps_of(web_app, world.asha) == []


def test_trainers_see_the_journey_but_do_not_record_it(web_app, as_user, world):
    client = as_user("trainer_a")
    page = client.get(f"/learners/{world.asha}/journey").data.decode()
    assert "No steps recorded yet" in page and "Save step" not in page
    assert client.post(f"/learners/{world.asha}/journey", data={**PLACEMENT, "site": world.site_a}).status_code == 403
    assert steps_of(web_app, world.asha) == []


def test_a_future_date_or_a_missing_kind_is_refused_with_the_reason(web_app, as_user, world):
    client = as_user("supervisor_a")
    future = (date(2026, 3, 2) + timedelta(days=1)).isoformat()
    page = client.post(f"/learners/{world.asha}/journey", follow_redirects=True,
                       data={**PLACEMENT, "starts_on": future, "ends_on": "", "site": world.site_a}).data
    assert b"A step cannot be dated in the future." in page
    page = client.post(f"/learners/{world.asha}/journey", follow_redirects=True,
                       data={**PLACEMENT, "kind": "", "site": world.site_a}).data
    assert b"Choose the kind that fits this step." in page
    page = client.post(f"/learners/{world.asha}/journey", follow_redirects=True,
                       data={**PLACEMENT, "ends_on": "2026-01-01", "site": world.site_a}).data
    assert b"The end date is before the start date." in page
    assert steps_of(web_app, world.asha) == []


def test_moving_to_another_site_keeps_the_history(web_app, world, clock):
    with app_db(web_app) as db:
        asha = db.get(Learner, world.asha)
        for stage, kind, day in (("enrolled", None, 1), ("graduated", None, 20), ("placement", "internship", 25)):
            record_step(db=db, learner=asha, stage=stage, kind=kind, starts_on=date(2026, 2, day), now=clock.now())
        oslo = db.exec(select(Cohort).where(Cohort.name == "oslo-mars")).one()
        move_learner(db, learner=asha, cohort=oslo, now=clock.now(), user_id=None, late_join=None)
        record_step(db=db, learner=asha, stage="outcome", kind="contract", starts_on=date(2026, 3, 1), now=clock.now())
    assert [(stage, site) for stage, _k, site, _n in steps_of(web_app, world.asha)] == [
        ("enrolled", world.site_a), ("graduated", world.site_a), ("placement", world.site_a),
        ("outcome", world.site_b)]


def test_a_kind_is_only_kept_where_the_stage_has_kinds(web_app, world, clock):
    with app_db(web_app) as db:
        asha = db.get(Learner, world.asha)
        assert record_step(db=db, learner=asha, stage="graduated", kind="trial", starts_on=date(2026, 2, 1),
                           now=clock.now()).kind is None
        try:
            record_step(db=db, learner=asha, stage="outcome", kind="trial", starts_on=date(2026, 2, 1), now=clock.now())
        except JourneyError as exc:
            assert str(exc) == "Choose the kind that fits this step."
        else:
            raise AssertionError("an outcome of kind 'trial' was accepted")


def test_export_has_the_journey_and_erasure_removes_it(web_app, world, clock):
    with app_db(web_app) as db:
        asha = db.get(Learner, world.asha)
        record_step(db=db, learner=asha, stage="outcome", kind="new_job", starts_on=date(2026, 2, 27),
                    note="Cashier at a bank", now=clock.now())
    with app_db(web_app) as db:
        data = export_learner(db=db, learner=db.get(Learner, world.asha))
        assert [(s["stage"], s["kind"], s["site"], s["note"]) for s in data["journey"]["steps"]] == [
            ("outcome", "new_job", "Andheri Mall", "Cashier at a bank")]
        erase_learner(db=db, learner=db.get(Learner, world.asha))
    with app_db(web_app) as db:
        assert db.exec(select(JourneyStep)).all() == []

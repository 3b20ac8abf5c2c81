"""Outcome check-ins: asked by SMS 3, 6 and 12 months after graduating, through the planner;
a clear reply becomes an outcome step, an unclear one waits in the supervisors' queue."""
from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import select

from app.journeys.checkins import months_after
from app.journeys.steps import journey_of, record_step
from app.models import JourneyCheckin, Learner, Outbox, Prompt
from app.people.learners import import_learners
from app.scheduling.dispatcher import dispatch_once
from app.web.dashboard.privacy import erase_learner, export_learner
from tests.web.conftest import app_db, say

NEW = """phone,name,site,language,cohort
+919876500001,Meena Rao,Andheri Mall,en,andheri-2025
+919876500002,Sunil Patil,Andheri Mall,hi,andheri-2025
"""
# 3 months after 1 March, 11:30 in Mumbai: inside the send window.
CHECKIN_DAY = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)


def graduates(web_app, clock) -> dict[str, int]:
    """Two learners without cards (nothing else to send them), graduated on 1 March."""
    with app_db(web_app) as db:
        assert not import_learners(db=db, csv_text=NEW, now=clock.now()).errors
        learners = {l.name: l for l in db.exec(select(Learner).where(Learner.phone.like("+91987650000%"))).all()}
        for learner in learners.values():
            record_step(db=db, learner=learner, stage="graduated", starts_on=date(2026, 3, 1), now=clock.now())
        return {name: learner.id for name, learner in learners.items()}


def checkin_sms(web_app, learner_id) -> list[str]:
    with app_db(web_app) as db:
        return [o.body for o in db.exec(select(Outbox).join(Prompt, Prompt.id == Outbox.prompt_id)
                                        .where(Outbox.learner_id == learner_id, Prompt.kind == "checkin")).all()]


def test_graduating_queues_three_checkins_and_a_corrected_date_replaces_them(web_app, world, clock):
    ids = graduates(web_app, clock)
    with app_db(web_app) as db:
        meena = db.get(Learner, ids["Meena Rao"])
        queued = db.exec(select(Prompt).where(Prompt.learner_id == meena.id, Prompt.kind == "checkin")
                         .order_by(Prompt.due_at)).all()
        # 09:00 in Mumbai (the site's window opens) on each day.
        assert [(p.seq, p.status, p.due_at) for p in queued] == [
            (3, "queued", datetime(2026, 6, 1, 3, 30, tzinfo=UTC)),
            (6, "queued", datetime(2026, 9, 1, 3, 30, tzinfo=UTC)),
            (12, "queued", datetime(2027, 3, 1, 3, 30, tzinfo=UTC))]
        record_step(db=db, learner=meena, stage="graduated", starts_on=date(2026, 2, 1), now=clock.now())
    with app_db(web_app) as db:
        rows = db.exec(select(Prompt.status, Prompt.seq).where(Prompt.learner_id == ids["Meena Rao"],
                                                                 Prompt.kind == "checkin")).all()
        assert sorted(rows) == [("cancelled", 3), ("cancelled", 6), ("cancelled", 12),
                                ("queued", 3), ("queued", 6), ("queued", 12)]
    assert months_after(date(2026, 11, 30), 3) == date(2027, 2, 28)


def test_a_checkin_goes_out_when_due_in_the_learners_language_and_a_clear_reply_is_an_outcome(web_app, world, clock):
    ids = graduates(web_app, clock)
    clock.set(datetime(2026, 5, 31, 6, 0, tzinfo=UTC))
    dispatch_once(app=web_app)
    assert checkin_sms(web_app, ids["Meena Rao"]) == []  # not yet due
    clock.set(CHECKIN_DAY)
    dispatch_once(app=web_app)
    assert checkin_sms(web_app, ids["Meena Rao"]) == [
        "Are you working now? Reply 1 same job, 2 new job, 3 studying, 4 looking for work."]
    assert checkin_sms(web_app, ids["Sunil Patil"])[0].startswith("क्या आप अभी काम कर रहे हैं?")
    with app_db(web_app) as db:
        assert say(db, "+919876500001", "2", clock.now()).count("Thank you! Good luck.") == 1
        steps = journey_of(db=db, learner_id=ids["Meena Rao"])
        assert [(s.stage, s.kind, s.starts_on) for s in steps][-1] == ("outcome", "new_job", date(2026, 6, 1))
    dispatch_once(app=web_app)
    assert len(checkin_sms(web_app, ids["Meena Rao"])) == 1  # never twice


def test_no_checkin_for_a_learner_who_opted_out_or_outside_the_window(web_app, world, clock):
    ids = graduates(web_app, clock)
    with app_db(web_app) as db:
        say(db, "+919876500001", "STOP", clock.now())
    clock.set(datetime(2026, 6, 1, 16, 0, tzinfo=UTC))  # 21:30 in Mumbai
    dispatch_once(app=web_app)
    assert checkin_sms(web_app, ids["Sunil Patil"]) == []
    clock.set(CHECKIN_DAY.replace(day=2))
    dispatch_once(app=web_app)
    assert checkin_sms(web_app, ids["Meena Rao"]) == [] and len(checkin_sms(web_app, ids["Sunil Patil"])) == 1


def test_an_unclear_reply_waits_in_the_supervisors_queue(web_app, world, clock, as_user):
    ids = graduates(web_app, clock)
    clock.set(CHECKIN_DAY)
    dispatch_once(app=web_app)
    with app_db(web_app) as db:
        assert "Your supervisor will get in touch." in say(db, "+919876500001", "working at my uncle's shop", clock.now())
        assert [s.stage for s in journey_of(db=db, learner_id=ids["Meena Rao"])] == ["graduated"]
        checkin = db.exec(select(JourneyCheckin)).one()
        assert (checkin.status, checkin.months, checkin.kind) == ("unclear", 3, None)
    assert "working at my uncle" not in as_user("supervisor_b").get("/journeys/checkins").data.decode()
    assert as_user("supervisor_b").post(f"/journeys/checkins/{checkin.id}/resolve").status_code == 404
    assert as_user("trainer_a").post(f"/journeys/checkins/{checkin.id}/resolve").status_code == 403
    client = as_user("supervisor_a")
    page = client.get("/journeys/checkins").data.decode()
    assert "working at my uncle&#39;s shop" in page and "Meena Rao" in page
    done = client.post(f"/journeys/checkins/{checkin.id}/resolve", follow_redirects=True).data.decode()
    assert "Marked as followed up." in done and "Nothing to follow up" in done


def test_export_has_the_checkin_replies_and_erasure_removes_them(web_app, world, clock):
    ids = graduates(web_app, clock)
    clock.set(CHECKIN_DAY)
    dispatch_once(app=web_app)
    with app_db(web_app) as db:
        say(db, "+919876500001", "4", clock.now())
    with app_db(web_app) as db:
        meena = db.get(Learner, ids["Meena Rao"])
        data = export_learner(db=db, learner=meena)
        assert data["journey"]["checkins"][0] | {"answered_at": None} == {
            "months": 3, "reply": "4", "outcome": "looking", "status": "answered", "answered_at": None}
        assert [s["kind"] for s in data["journey"]["steps"]] == [None, "looking"]
        erase_learner(db=db, learner=meena)
    with app_db(web_app) as db:
        assert db.exec(select(JourneyCheckin)).all() == []
        assert db.exec(select(Prompt).where(Prompt.kind == "checkin", Prompt.learner_id == ids["Meena Rao"])).all() == []

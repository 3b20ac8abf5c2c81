"""Skills milestones: asked by SMS like a check-in and confirmed by the learner, or confirmed
by staff on the learner page (CSRF form, inside their sites), counted on the outcomes page."""
from __future__ import annotations

from sqlmodel import select

from app.journeys import milestones
from app.models import Learner, LearnerMilestone, Outbox, Prompt
from app.people.learners import import_learners
from app.scheduling.dispatcher import dispatch_once
from app.web.dashboard.privacy import erase_learner, export_learner
from tests.web.conftest import PASSWORD, app_db, csrf_token, say

NEW = """phone,name,site,language,cohort
+919876500001,Meena Rao,Andheri Mall,en,andheri-2025
+919876500002,Sunil Patil,Andheri Mall,hi,andheri-2025
"""


def newcomers(web_app, clock) -> dict[str, int]:
    with app_db(web_app) as db:
        assert not import_learners(db=db, csv_text=NEW, now=clock.now()).errors
        return {l.name: l.id for l in db.exec(select(Learner).where(Learner.phone.like("+91987650000%"))).all()}


def test_a_milestone_asked_by_sms_is_confirmed_by_the_learner(web_app, world, clock):
    ids = newcomers(web_app, clock)
    with app_db(web_app) as db:
        meena, sunil = db.get(Learner, ids["Meena Rao"]), db.get(Learner, ids["Sunil Patil"])
        assert milestones.ask(db, learner=meena, key="cv", now=clock.now()) is not None
        assert milestones.ask(db, learner=meena, key="cv", now=clock.now()) is None  # already on its way
        milestones.ask(db, learner=sunil, key="bank", now=clock.now())
        say(db, "+919876500002", "STOP", clock.now())
    dispatch_once(app=web_app)
    with app_db(web_app) as db:
        sent = db.exec(select(Outbox.body).join(Prompt, Prompt.id == Outbox.prompt_id)
                       .where(Prompt.kind == "milestone")).all()
        assert sent == ["Have you written your CV? Reply 1 yes, 2 not yet."]  # none to the opted-out learner
        assert "1 to 2" in say(db, "+919876500001", "maybe", clock.now())  # neither: asked again
        assert "Well done!" in say(db, "+919876500001", "1", clock.now())
        row = db.exec(select(LearnerMilestone).where(LearnerMilestone.learner_id == ids["Meena Rao"])).one()
        assert (row.status, row.channel, row.reached_on, row.confirmed_by) == ("reached", "sms", clock.now().date(), None)
        data = export_learner(db=db, learner=db.get(Learner, ids["Meena Rao"]))
        assert [(m["milestone"], m["status"], m["by"]) for m in data["milestones"]] == [("cv", "reached", "sms")]
        erase_learner(db=db, learner=db.get(Learner, ids["Meena Rao"]))
    with app_db(web_app) as db:
        assert db.exec(select(LearnerMilestone).where(LearnerMilestone.learner_id == ids["Meena Rao"])).all() == []


def test_staff_confirm_on_the_learner_page_and_the_outcomes_page_counts_it(web_app, world, clock, as_user):
    client = as_user("trainer_a")
    page = client.get(f"/learners/{world.asha}").data.decode()
    assert "CV written" in page and "Interview held" in page
    token = csrf_token(page)
    assert as_user("trainer_b").post(f"/learners/{world.asha}/milestones/cv",
                                     data={"action": "reached", "csrf_token": token}).status_code in (400, 404)
    done = client.post(f"/learners/{world.asha}/milestones/interview", data={"action": "reached", "csrf_token": token},
                       follow_redirects=True).data.decode()
    assert "Milestone recorded." in done
    with app_db(web_app) as db:
        row = db.exec(select(LearnerMilestone)).one()
        assert (row.learner_id, row.key, row.status, row.confirmed_by) == (world.asha, "interview", "reached",
                                                                         world.trainer_a)
    outcomes = as_user("supervisor_a").get("/journeys").data.decode()
    assert "Milestones reached" in outcomes
    link = f"/journeys/learners?site={world.site_a}&amp;milestone=interview"
    assert link in outcomes
    people = as_user("supervisor_a").get(link.replace("&amp;", "&")).data.decode()
    assert "Asha" in people
    assert as_user("supervisor_b").get(link.replace("&amp;", "&")).status_code == 404


def test_the_milestone_form_needs_its_csrf_token(csrf_app, world):
    client = csrf_app.test_client()
    page = client.get("/login").data.decode()
    assert client.post("/login", data={"email": world.email_trainer_a, "password": PASSWORD,
                                       "csrf_token": csrf_token(page)}).status_code == 302
    path = f"/learners/{world.asha}/milestones/cv"
    assert client.post(path, data={"action": "reached"}).status_code == 400
    token = csrf_token(client.get(f"/learners/{world.asha}").data.decode())
    assert client.post(path, data={"action": "reached", "csrf_token": token}).status_code == 302


def test_staff_record_not_yet_on_the_learner_page(web_app, world, clock, as_user):
    """The learner page offers "Not yet" beside "Confirm"; it records ``not_yet`` by a user,
    and the button goes once the milestone stands at not yet (Confirm stays)."""
    client = as_user("trainer_a")
    page = client.get(f"/learners/{world.asha}").data.decode()
    form = f'action="/learners/{world.asha}/milestones/cv"'
    section = page[page.index(form):]
    section = section[:section.index("</form>")]
    assert 'name="action" value="not_yet"' in section and ">Not yet</button>" in section
    done = client.post(f"/learners/{world.asha}/milestones/cv", follow_redirects=True,
                       data={"action": "not_yet", "csrf_token": csrf_token(page)}).data.decode()
    assert "Milestone recorded." in done
    with app_db(web_app) as db:
        row = db.exec(select(LearnerMilestone)).one()
        assert (row.key, row.status, row.confirmed_by) == ("cv", "not_yet", world.trainer_a)
    section = done[done.index(form):]
    section = section[:section.index("</form>")]
    assert 'value="not_yet"' not in section and 'value="reached"' in section

"""Mentoring on the staff pages: the dashboard, suggestions with reasons, a pair's steps, scoping."""
from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from app.models import MatchDecision, Meeting, Mentee, Mentor, Pair
from tests.web.conftest import app_db, csrf_token


def test_the_dashboard_counts_inside_the_users_sites(as_user, world):
    page = as_user("supervisor_a").get("/mentoring/").data.decode()
    assert "Mentee A" in page and "Waiting A" in page and "Mentor A" in page
    assert "Mentee B" not in page and "Waiting B" not in page and "Mentor B" not in page
    assert "1 / 150" in page  # pairs started this year against the target
    assert "1 place free" in page
    both = as_user("admin").get("/mentoring/").data.decode()
    assert "2 / 300" in both and "Mentee B" in both


def test_suggestions_carry_their_reasons_and_a_coordinator_proposes(web_app, as_user, world):
    client = as_user("supervisor_a")
    page = client.get(f"/mentoring/mentees/{world.waiting_a}").data.decode()
    assert "Mentor A" in page and "same profession: engineer" in page and "Mentor B" not in page
    mentee = client.get(f"/mentoring/mentees/{world.mentee_a}").data.decode()
    assert "Current pair" in mentee  # already paired: no suggestions
    response = client.post(f"/mentoring/mentees/{world.waiting_a}/propose/{world.mentor_a}", follow_redirects=True)
    assert b"Pair proposed." in response.data
    with app_db(web_app) as db:
        pair = db.exec(select(Pair).where(Pair.mentee_id == world.waiting_a)).one()
    today = "2026-03-02"
    assert client.post(f"/mentoring/pairs/{pair.id}/introduce", data={"intro-introduced_on": today},
                       follow_redirects=True).status_code == 200
    done = client.post(f"/mentoring/pairs/{pair.id}/confirm", follow_redirects=True,
                       data={"confirm-starts_on": today, "confirm-months": "6", "confirm-goals": "Interviews"})
    assert b"Pair confirmed." in done.data
    logged = client.post(f"/mentoring/pairs/{pair.id}/meetings", follow_redirects=True,
                         data={"meeting-held_on": today, "meeting-discussed": "Mock interview",
                               "meeting-next_step": "Apply"}).data.decode()
    assert "Meeting logged." in logged and "Mock interview" in logged and "sup.a@saathi.test" in logged
    with app_db(web_app) as db:
        pair = db.get(Pair, pair.id)
        assert (pair.status, str(pair.ends_on), pair.goals) == ("active", "2026-09-02", "Interviews")


def test_a_declined_suggestion_is_remembered_with_reason_and_who(web_app, as_user, world):
    client = as_user("supervisor_a")
    client.post(f"/mentoring/mentees/{world.waiting_a}/decline/{world.mentor_a}", data={"reason": "Same employer"})
    page = client.get(f"/mentoring/mentees/{world.waiting_a}").data.decode()
    assert "No mentor with a free place" in page and "Same employer" in page
    with app_db(web_app) as db:
        decision = db.exec(select(MatchDecision)).one()
        assert (decision.reason, decision.decided_by) == ("Same employer", world.supervisor_a)


def test_a_future_meeting_or_a_bad_form_is_refused_with_the_reason(web_app, as_user, world):
    client = as_user("trainer_a")
    future = client.post(f"/mentoring/pairs/{world.pair_a}/meetings", follow_redirects=True,
                         data={"meeting-held_on": "2026-04-01", "meeting-discussed": "x"}).data.decode()
    assert "The date is in the future." in future
    empty = client.post(f"/mentoring/pairs/{world.pair_a}/meetings", data={"meeting-held_on": "2026-03-01"})
    assert empty.status_code == 400 and "This field is required." in empty.data.decode()
    with app_db(web_app) as db:
        assert len(db.exec(select(Meeting)).all()) == 2  # the world's two


def test_closing_and_recording_the_outcome_feeds_outcomes_by_profession(as_user, world):
    client = as_user("supervisor_a")
    client.post(f"/mentoring/pairs/{world.pair_a}/close", data={})
    page = client.get("/mentoring/").data.decode()
    assert "outcome to record" in page
    client.post(f"/mentoring/pairs/{world.pair_a}/outcome",
                data={"outcome-job": "yes", "outcome-in_field": "yes", "outcome-note": "Site engineer"})
    page = client.get("/mentoring/").data.decode()
    assert "outcome to record" not in page
    row = page.split("Outcomes by profession")[1]
    assert "engineer" in row and row.count(">1<") == 3


def test_trainers_log_meetings_but_do_not_coordinate_and_other_sites_are_404(as_user, world):
    trainer = as_user("trainer_a")
    assert trainer.post(f"/mentoring/mentees/{world.waiting_a}/propose/{world.mentor_a}").status_code == 403
    assert trainer.post(f"/mentoring/pairs/{world.pair_a}/close").status_code == 403
    supervisor = as_user("supervisor_a")
    for path in (f"/mentoring/mentees/{world.mentee_b}", f"/mentoring/mentors/{world.mentor_b}",
                 f"/mentoring/pairs/{world.pair_b}", f"/mentoring/sites/{world.site_b}/settings"):
        assert supervisor.get(path).status_code == 404, path
    assert supervisor.post(f"/mentoring/mentees/{world.waiting_a}/propose/{world.mentor_b}").status_code == 404


def test_staff_enrol_and_a_learner_becomes_a_mentee(web_app, as_user, world):
    client = as_user("trainer_a")
    page = client.get("/mentoring/mentors/new").data.decode()
    assert "Oslo Læringssenter" not in page
    response = client.post("/mentoring/mentors/new", follow_redirects=True, data={
        "site": world.site_a, "name": "Dev", "phone": "98123 40009", "profession": " ENGINEER", "language": "hi",
        "capacity": "2", "consent": "y"})
    assert b"Enrolled." in response.data
    bad = client.post("/mentoring/mentees/new", data={"site": world.site_a, "name": "X", "profession": "cook",
                                                       "language": "en"})
    assert bad.status_code == 400 and "Give a phone number or an e-mail address." in bad.data.decode()
    made = client.post(f"/mentoring/learners/{world.asha}/mentee", follow_redirects=True,
                       data={"profession": "Nurse", "goals": "Hospital job"})
    assert b"Enrolled." in made.data
    with app_db(web_app) as db:
        dev = db.exec(select(Mentor).where(Mentor.name == "Dev")).one()
        assert (dev.profession, dev.phone, dev.site_id) == ("engineer", "+919812340009", world.site_a)
        asha = db.exec(select(Mentee).where(Mentee.learner_id == world.asha)).one()
        assert (asha.name, asha.profession) == ("Asha Devi", "nurse")
    assert client.get(f"/mentoring/learners/{world.amina}/mentee").status_code == 404


def test_the_public_form_needs_consent_and_an_open_link(web_app, csrf_app, world):
    client = csrf_app.test_client()
    assert client.get("/join/nope/mentee").status_code == 404
    page = client.get("/join/open-a/mentee?lang=hi").data.decode()
    assert 'lang="hi"' in page and "Andheri Mall" in page
    data = {"csrf_token": csrf_token(page), "name": "Neha", "phone": "+919812340077", "profession": "Architect",
            "language": "hi"}
    refused = client.post("/join/open-a/mentee", data=data)
    assert refused.status_code == 400
    assert client.post("/join/open-a/mentee", data={**data, "consent": "y", "csrf_token": ""}).status_code == 400
    done = client.post("/join/open-a/mentee", data={**data, "consent": "y"})
    assert done.status_code == 200
    with app_db(csrf_app) as db:
        neha = db.exec(select(Mentee).where(Mentee.name == "Neha")).one()
        assert (neha.site_id, neha.profession, neha.language) == (world.site_a, "architect", "hi")
        assert neha.consent_at is not None


def test_coordinators_set_the_target_and_close_the_link(web_app, as_user, world):
    client = as_user("supervisor_a")
    client.post(f"/mentoring/sites/{world.site_a}/settings", data={"pairs_per_year": "80"})
    assert "1 / 80" in client.get("/mentoring/").data.decode()
    assert client.get("/join/open-a/mentor").status_code == 404  # unticked: closed
    client.post(f"/mentoring/sites/{world.site_a}/settings", data={"pairs_per_year": "80", "open_enrolment": "y"})
    page = client.get(f"/mentoring/sites/{world.site_a}/settings").data.decode()
    assert "/join/" in page and "/mentor" in page


def test_a_meeting_resets_the_nudge_clock(web_app, world, clock):
    from app.mentoring.followup import follow_up

    with app_db(web_app) as db:
        stats = follow_up(db, now=clock.now() + timedelta(days=13), nudge_weeks=3)
        assert stats.nudged == 0
        stats = follow_up(db, now=clock.now() + timedelta(days=14), nudge_weeks=3)
        assert stats.nudged == 2  # both sites' pairs met a week before the world began


def test_a_learners_export_and_erasure_cover_their_mentee_records(web_app, world, clock):
    from app.mentoring import pairs
    from app.mentoring.followup import follow_up
    from app.mentoring.people import mentee_from_learner
    from app.models import Learner, MentoringNotice
    from app.web.dashboard.privacy import erase_learner, export_learner

    with app_db(web_app) as db:
        asha = db.get(Learner, world.asha)
        mentee = mentee_from_learner(db, learner=asha, profession="engineer", goals="Office job", now=clock.now())
        pair = pairs.propose(db, mentee=mentee, mentor=db.get(Mentor, world.mentor_a), by=None, now=clock.now())
        pairs.confirm(db, pair=pair, starts_on=clock.now().date())
        pairs.log_meeting(db, pair=pair, held_on=clock.now().date(), discussed="Goals", by=None,
                          today=clock.now().date(), now=clock.now())
        follow_up(db, now=clock.now() + timedelta(days=21), nudge_weeks=3)
    with app_db(web_app) as db:
        exported = export_learner(db=db, learner=db.get(Learner, world.asha))
        [record] = exported["mentoring"]
        assert record["mentee"]["goals"] == "Office job" and record["pairs"][0]["meetings"][0]["discussed"] == "Goals"
        assert [m["to"] for m in record["pairs"][0]["messages"]] == ["mentee"]
    with app_db(web_app) as db:
        counts = erase_learner(db=db, learner=db.get(Learner, world.asha))
        assert counts["mentee"] == 1 and counts["pair"] == 1 and counts["meeting"] == 1
    with app_db(web_app) as db:
        assert db.exec(select(Mentee).where(Mentee.learner_id == world.asha)).all() == []
        assert db.get(Mentor, world.mentor_a) is not None  # the mentor's own record stays
        assert db.get(Pair, world.pair_a) is not None
        assert all(n.pair_id != pair.id for n in db.exec(select(MentoringNotice)).all())


def test_a_deactivated_mentor_is_not_suggested_until_reactivated(as_user, world):
    client = as_user("supervisor_a")
    assert b"Deactivated" in client.post(f"/mentoring/mentors/{world.mentor_a}/active", follow_redirects=True).data
    assert "Mentor A" not in client.get(f"/mentoring/mentees/{world.waiting_a}").data.decode().split("Suggested")[1]
    client.post(f"/mentoring/mentors/{world.mentor_a}/active")
    assert "same profession" in client.get(f"/mentoring/mentees/{world.waiting_a}").data.decode()
    client.post(f"/mentoring/mentees/{world.waiting_a}/active")
    assert "Waiting A" not in client.get("/mentoring/").data.decode()
    assert as_user("trainer_a").post(f"/mentoring/mentors/{world.mentor_a}/active").status_code == 403
    assert client.post(f"/mentoring/mentors/{world.mentor_b}/active").status_code == 404


def test_a_mentors_reply_by_sms_is_thanked_and_shown_on_the_pair_page(web_app, as_user, world):
    """A mentor answering a check-in is no learner: thanked in their language, not told the
    number is unknown, and the coordinator reads the reply on the pair page, in their sites only."""
    from app.i18n import say
    from app.mentoring.inbound import THANKS
    from tests.conftest import PUBLIC_URL, sign
    from tests.test_webhooks_sms import inbound, messages_in

    with app_db(web_app) as db:
        phone = db.get(Mentor, world.mentor_a).phone
        language = db.get(Mentor, world.mentor_a).language
    params = inbound("SMreply1", phone, "We met on Friday <b>CV</b> is done")
    response = web_app.test_client().post("/twilio/sms", data=params,
                                          headers={"X-Twilio-Signature": sign(PUBLIC_URL + "/twilio/sms", params)})
    assert messages_in(response) == [say(language, THANKS)]
    page = as_user("supervisor_a").get(f"/mentoring/pairs/{world.pair_a}").get_data(as_text=True)
    assert "We met on Friday &lt;b&gt;CV&lt;/b&gt; is done" in page and phone not in page
    other = as_user("admin").get(f"/mentoring/pairs/{world.pair_b}").get_data(as_text=True)
    assert "We met on Friday" not in other  # another pair's page does not show it


def test_the_pair_page_lists_the_e_mails_that_failed_with_their_reason(web_app, as_user, world, clock):
    from app.models import MentoringNotice

    with app_db(web_app) as db:
        db.add(MentoringNotice(pair_id=world.pair_a, kind="midpoint", person="mentor", key="mid", channel="email",
                               body="-", sent_at=clock.now(), status="failed", attempts=1,
                               error="550 5.1.1 <mentor@x.test>: no such user"))
        db.add(MentoringNotice(pair_id=world.pair_a, kind="end", person="mentor", key="end", channel="email",
                               body="-", sent_at=clock.now(), status="sent", attempts=1))
    page = as_user("trainer_a").get(f"/mentoring/pairs/{world.pair_a}").data.decode()
    assert "E-mails not delivered" in page and page.count("<li>") >= 2
    assert "Refused by the mail server: 550 5.1.1 &lt;mentor@x.test&gt;: no such user" in page
    assert "Unknown: sending was interrupted" in page  # the seeded one whose worker stopped
    assert as_user("supervisor_b").get(f"/mentoring/pairs/{world.pair_a}").status_code == 404

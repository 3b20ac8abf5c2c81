"""Trainers change learners and site windows in the browser; supervisors read the audit log."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from sqlmodel import select

from app import create_app
from app.config import REPO_ROOT
from app.models import AuditEvent, Learner, Outbox, Prompt, Site, User
from app.people.learners import import_learners
from app.scheduling.dispatcher import dispatch_once
from tests.web.conftest import app_db, csrf_token, login

OSLO_EVENING = "Europe/Oslo"


def details(learner, **values):
    data = {"details-name": learner.name, "details-language": learner.language,
            "details-channel": learner.channel, "details-timezone": learner.timezone or ""}
    return data | {f"details-{k}": v for k, v in values.items()}


def learner(web_app, learner_id) -> Learner:
    with app_db(web_app) as db:
        return db.get(Learner, learner_id)


def test_a_trainer_changes_a_learner_and_the_supervisor_reads_it_in_the_sites_time(web_app, world, as_user, clock):
    trainer = as_user("trainer_a")
    asha = learner(web_app, world.asha)
    assert "Asha Devi" in trainer.get(f"/workspace/learners/{world.asha}").data.decode()
    response = trainer.post(f"/workspace/learners/{world.asha}", data=details(asha, channel="voice", language="hi"))
    assert response.status_code == 302
    asha = learner(web_app, world.asha)
    assert (asha.channel, asha.language) == ("voice", "hi")

    supervisor = as_user("supervisor_a")
    page = supervisor.get(f"/learners/{world.asha}").data.decode()
    assert "Details changed" in page and "Channel: SMS → Voice calls" in page and "Language: English → " in page
    changes = supervisor.get(f"/sites/{world.site_a}/changes").data.decode()
    assert "Asha Devi" in changes and "Priya" in changes  # who, about whom
    assert "2:30" in changes  # 09:00 UTC is 14:30 in Mumbai: the site's time, not the server's
    assert as_user("supervisor_b").get(f"/sites/{world.site_a}/changes").status_code == 404
    assert "Asha Devi" not in as_user("supervisor_b").get(f"/sites/{world.site_b}/changes").data.decode()


def test_supervisors_change_nothing_and_trainers_nothing_outside_their_sites(web_app, world, as_user):
    asha = learner(web_app, world.asha)
    supervisor = as_user("supervisor_a")
    assert supervisor.get(f"/workspace/learners/{world.asha}").status_code == 403
    assert supervisor.post(f"/workspace/learners/{world.asha}/status", data={}).status_code == 403
    assert supervisor.get(f"/workspace/sites/{world.site_a}/settings").status_code == 403
    trainer = as_user("trainer_a")
    amina = learner(web_app, world.amina)
    assert trainer.get(f"/workspace/learners/{world.amina}").status_code == 404
    assert trainer.post(f"/workspace/learners/{world.amina}", data=details(amina, name="X")).status_code == 404
    assert trainer.post(f"/workspace/learners/{world.amina}/status", data={}).status_code == 404
    # Nor move one of theirs into another site's cohort.
    assert trainer.post(f"/workspace/learners/{world.asha}/move",
                        data={"move-cohort": world.cohort_b, "move-late_join": "y"}).status_code == 404
    assert trainer.get(f"/workspace/sites/{world.site_b}/settings").status_code == 404
    assert learner(web_app, world.amina).name == "Amina Yusuf" and learner(web_app, world.asha).site_id == world.site_a
    assert asha.cohort_id == learner(web_app, world.asha).cohort_id


def test_an_admin_moves_a_learner_to_another_sites_cohort_with_its_quiz(web_app, world, as_user):
    admin = as_user("admin")
    response = admin.post(f"/workspace/learners/{world.asha}/move",
                          data={"move-cohort": world.cohort_b, "move-late_join": "y"}, follow_redirects=True)
    assert "is now in oslo-mars" in response.data.decode()
    assert "The quiz of 1 session already held is queued" in response.data.decode()
    moved = learner(web_app, world.asha)
    assert (moved.site_id, moved.cohort_id) == (world.site_b, world.cohort_b)
    with app_db(web_app) as db:
        queued = db.exec(select(Prompt).where(Prompt.learner_id == world.asha,
                                              Prompt.training_session_id == world.session_b)).all()
        assert len(queued) == 6
    # Both sites' supervisors see the move; Oslo's can now open her page, Andheri's cannot.
    assert "oslo-mars" in as_user("supervisor_a").get(f"/sites/{world.site_a}/changes").data.decode()
    assert "Moved to another cohort" in as_user("supervisor_b").get(f"/learners/{world.asha}").data.decode()
    assert as_user("supervisor_a").get(f"/learners/{world.asha}").status_code == 404


def test_moving_without_the_tick_queues_no_past_quiz(web_app, world, as_user):
    as_user("admin").post(f"/workspace/learners/{world.asha}/move", data={"move-cohort": world.cohort_b})
    with app_db(web_app) as db:
        assert db.exec(select(Prompt).where(Prompt.learner_id == world.asha,
                                            Prompt.training_session_id == world.session_b)).all() == []


def test_deactivate_then_reactivate_in_the_browser(web_app, world, as_user, clock):
    trainer = as_user("trainer_a")
    page = trainer.post(f"/workspace/learners/{world.asha}/status", data={"status-reason": "on maternity leave"},
                        follow_redirects=True).data.decode()
    assert "nothing more is sent" in page
    assert learner(web_app, world.asha).status == "inactive"
    listed = as_user("supervisor_a").get("/learners?status=inactive").data.decode()
    assert "Asha Devi" in listed and "Ravi Kumar" not in listed
    assert "on maternity leave" in as_user("supervisor_a").get(f"/learners/{world.asha}").data.decode()
    with app_db(web_app) as db:  # a review falls due while she is away: nothing goes out
        for prompt in db.exec(select(Prompt).where(Prompt.learner_id == world.asha)).all():
            assert prompt.status != "pending"
    clock.advance(days=3)
    dispatch_once(app=web_app)
    with app_db(web_app) as db:
        rows = db.exec(select(Outbox).where(Outbox.learner_id == world.asha, Outbox.purpose != "reply")).all()
        assert all(r.created_at < clock.now() - timedelta(days=1) for r in rows)
    trainer.post(f"/workspace/learners/{world.asha}/status", data={"status-late_join": "y"})
    assert learner(web_app, world.asha).status == "active"


def test_a_learner_who_sent_stop_cannot_be_reactivated_by_staff(web_app, world, as_user, clock):
    from tests.web.conftest import say

    with app_db(web_app) as db:
        say(db, "+919876543210", "STOP", clock.now())
    trainer = as_user("trainer_a")
    page = trainer.get(f"/workspace/learners/{world.asha}").data.decode()
    assert "only the learner can start again" in page
    trainer.post(f"/workspace/learners/{world.asha}/status", data={})
    assert learner(web_app, world.asha).status == "opted_out"


def test_site_window_form_reschedules_and_is_audited(web_app, world, as_user, clock):
    trainer = as_user("trainer_a")
    form = trainer.get(f"/workspace/sites/{world.site_a}/settings").data.decode()
    assert 'value="09:00"' in form and 'value="Asia/Kolkata"' in form
    response = trainer.post(f"/workspace/sites/{world.site_a}/settings", data={
        "timezone": "Asia/Kolkata", "send_start": "08:00", "send_end": "21:30", "daily_cap": "2"})
    assert response.status_code == 302
    with app_db(web_app) as db:
        site = db.get(Site, world.site_a)
        assert (site.send_start, site.send_end, site.daily_cap) == ("08:00", "21:30", 2)
        (line,) = db.exec(select(AuditEvent).where(AuditEvent.action == "site_settings")).all()
        assert line.user_id == world.trainer_a
    changes = as_user("supervisor_a").get(f"/sites/{world.site_a}/changes").data.decode()
    assert "Messages until: 20:00 → 21:30" in changes


@pytest.mark.parametrize("data, message", [
    ({"send_start": "9", "send_end": "20:00"}, "Write the time as HH:MM"),
    ({"send_start": "20:00", "send_end": "09:00"}, "The window must end after it starts."),
    ({"timezone": "Asia/Mumbai"}, "Unknown timezone"),
    ({"daily_cap": "0"}, "Between 1 and 50."),
])
def test_site_settings_are_checked_with_a_clear_message(web_app, world, as_user, data, message):
    fields = {"timezone": "Asia/Kolkata", "send_start": "09:00", "send_end": "20:00", "daily_cap": ""} | data
    response = as_user("admin").post(f"/workspace/sites/{world.site_a}/settings", data=fields)
    assert response.status_code == 200 and message in response.data.decode()
    with app_db(web_app) as db:
        assert db.get(Site, world.site_a).send_start == "09:00"


@pytest.fixture
def hindi_app(web_config, tmp_path):
    """The app with the real Hindi catalog compiled into a folder of the test's own."""
    folder = tmp_path / "locales" / "hi" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with open(REPO_ROOT / "locales" / "hi" / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh, locale="hi")
    with open(folder / "messages.mo", "wb") as fh:
        write_mo(fh, catalog)
    app = create_app({**web_config, "BABEL_TRANSLATION_DIRECTORIES": str(tmp_path / "locales")})
    yield app
    app.extensions["saathi.engine"].dispose()


def test_validation_errors_are_in_the_trainers_language(hindi_app, world):
    with app_db(hindi_app) as db:
        user = db.get(User, world.trainer_a)
        user.language = "hi"
        db.add(user)
    client = hindi_app.test_client()
    login(client, world.email_trainer_a)
    asha = learner(hindi_app, world.asha)
    page = client.post(f"/workspace/learners/{world.asha}", data=details(asha, name="", timezone="Mars/Base")).data.decode()
    assert "शिक्षार्थी का नाम लिखें।" in page
    assert "अनजान टाइमज़ोन" in page
    assert learner(hindi_app, world.asha).name == "Asha Devi"


def test_the_learner_list_names_the_channel_in_the_readers_language(hindi_app, world):
    with app_db(hindi_app) as db:
        user = db.get(User, world.trainer_a)
        user.language = "hi"
        db.add(user)
        ravi = db.get(Learner, world.ravi)
        ravi.channel = "voice"
        db.add(ravi)
    client = hindi_app.test_client()
    login(client, world.email_trainer_a)
    listed = client.get("/learners").data.decode()
    assert "<td>वॉइस कॉल</td>" in listed and "<td>voice</td>" not in listed
    assert "वॉइस कॉल" in client.get(f"/learners/{world.ravi}").data.decode()


def test_the_forms_need_their_csrf_token(csrf_app, world):
    client = csrf_app.test_client()
    page = client.get("/login").data.decode()
    client.post("/login", data={"email": world.email_trainer_a, "password": "correct horse battery",
                                "csrf_token": csrf_token(page)})
    asha = learner(csrf_app, world.asha)
    assert client.post(f"/workspace/learners/{world.asha}/status", data={}).status_code == 400
    assert client.post(f"/workspace/learners/{world.asha}", data=details(asha, name="Forged")).status_code == 400
    assert learner(csrf_app, world.asha).status == "active"
    page = client.get(f"/workspace/learners/{world.asha}").data.decode()
    response = client.post(f"/workspace/learners/{world.asha}",
                           data=details(asha, name="Asha D.") | {"details-csrf_token": csrf_token(page)})
    assert response.status_code == 302 and learner(csrf_app, world.asha).name == "Asha D."


def test_import_page_catches_newcomers_up_unless_unticked(web_app, world, as_user):
    trainer = as_user("trainer_a")
    sheet = "phone,name,site,language,cohort\n+919876500001,Meena Joshi,Andheri Mall,en,andheri-march\n"
    page = trainer.post("/workspace/learners/import", data={"text": sheet, "late_join": "y"}).data.decode()
    assert "1 learner new to a cohort got the quiz of sessions already held." in page
    sheet = "phone,name,site,language,cohort\n+919876500002,Kiran Patil,Andheri Mall,en,andheri-march\n"
    trainer.post("/workspace/learners/import", data={"text": sheet})
    with app_db(web_app) as db:
        meena, kiran = (db.exec(select(Learner).where(Learner.name == n)).one() for n in ("Meena Joshi", "Kiran Patil"))
        assert len(db.exec(select(Prompt).where(Prompt.learner_id == meena.id)).all()) == 6
        assert db.exec(select(Prompt).where(Prompt.learner_id == kiran.id)).all() == []
        added = db.exec(select(AuditEvent).where(AuditEvent.learner_id == meena.id)).all()
        assert {a.action for a in added} == {"learner_added", "late_join"}
        assert {a.user_id for a in added} == {world.trainer_a}


def test_two_numbers_ending_alike_are_told_apart_where_numbers_are_masked(web_app, world, as_user, clock):
    with app_db(web_app) as db:  # Asha is +919876543210; this one also ends in 10
        import_learners(db=db, now=clock.now(), csv_text="phone,name,site,language,cohort\n"
                        "+919812343110,Sunita Rao,Andheri Mall,en,andheri-march\n")
    supervisor = as_user("supervisor_a")
    page = supervisor.get("/learners").data.decode()
    assert "+91 ••••• •3210" in page and "+91 ••••• •3110" in page
    assert "+919876543210" not in page
    rows = list(csv.DictReader(io.StringIO(supervisor.get("/learners.csv?columns=machine").data.decode())))
    phones = {r["name"]: r["phone"] for r in rows}
    assert phones["Asha Devi"] != phones["Sunita Rao"] and phones["Asha Devi"].endswith("3210")
    assert "+919876543210" not in supervisor.get("/learners.csv?columns=machine").data.decode()
    admin_rows = csv.DictReader(io.StringIO(as_user("admin").get("/learners.csv?columns=machine").data.decode()))
    assert {r["name"]: r["phone"] for r in admin_rows}["Asha Devi"].endswith("+919876543210")

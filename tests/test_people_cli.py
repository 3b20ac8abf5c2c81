"""Registering sites and learners from the command line, as a trainer would."""
from __future__ import annotations

import json
from datetime import UTC

from sqlmodel import select

from app.models import Learner, Site
from tests.factories import make_module

GOOD_AND_BAD = """phone,name,site,language,cohort,channel,timezone
098200 00001,Asha Devi,Andheri Mall,Hindi,andheri-march,,
+91 98200 00002,Ravi Kumar,Andheri Mall,hi,andheri-march,voice,
12345,Bad Number,Andheri Mall,hi,andheri-march,,
+919820000003,No Language,Andheri Mall,klingon,andheri-march,,
+919820000004,,Andheri Mall,en,andheri-march,,
+919820000005,Wrong Channel,Andheri Mall,en,andheri-march,fax,
+919820000002,Ravi Again,Andheri Mall,hi,andheri-march,,
+919820000006,Meena Rao,Andheri Mall,en,andheri-march,sms,Asia/Kolkatta
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_sites_add_and_list(runner):
    result = runner.invoke(args=["sites", "add", "Oslo Læringssenter", "--country", "NO", "--window", "08:30-19:00"])
    assert result.exit_code == 0, result.output
    assert "Europe/Oslo" in result.output
    listed = runner.invoke(args=["sites", "list"])
    assert "Oslo Læringssenter\tNO\tEurope/Oslo\t08:30-19:00" in listed.output
    bad = runner.invoke(args=["sites", "add", "Nowhere", "--country", "XX"])
    assert bad.exit_code != 0 and "unknown country code" in bad.output


def test_learner_import_reports_bad_rows_and_keeps_good_ones(runner, app, tmp_path):
    runner.invoke(args=["sites", "add", "Andheri Mall", "--country", "IN"])
    result = runner.invoke(args=["learners", "import", write(tmp_path, "march.csv", GOOD_AND_BAD)])
    assert result.exit_code == 1
    out = result.output
    assert "2 created, 0 updated, 0 unchanged, 6 rejected" in out
    assert "row 4: '12345' is not a valid phone number" in out
    assert "row 5: unknown language 'klingon'" in out
    assert "row 6: 'name' is empty" in out
    assert "row 7: channel 'fax'" in out
    assert "row 8: phone +919820000002 already appears in row 3" in out
    assert "row 9: unknown timezone 'Asia/Kolkatta'" in out
    with app.app_context():
        from app.db import session_scope
        with session_scope() as db:
            learners = db.exec(select(Learner).order_by(Learner.phone)).all()
            assert [(l.phone, l.language, l.channel) for l in learners] == [
                ("+919820000001", "hi", "sms"), ("+919820000002", "hi", "voice")]


def test_reimport_updates_instead_of_duplicating(runner, app, tmp_path):
    runner.invoke(args=["sites", "add", "Andheri Mall"])
    first = "phone,name,site,language,cohort\n+919820000001,Asha,Andheri Mall,hi,c1\n"
    second = "phone,name,site,language,cohort\n09820000001,Asha Devi,Andheri Mall,en,c1\n"
    assert "1 created" in runner.invoke(args=["learners", "import", write(tmp_path, "a.csv", first)]).output
    result = runner.invoke(args=["learners", "import", write(tmp_path, "b.csv", second)])
    assert "0 created, 1 updated" in result.output
    again = runner.invoke(args=["learners", "import", write(tmp_path, "b.csv", second)])
    assert "0 created, 0 updated, 1 unchanged" in again.output


def test_unknown_site_is_created_when_the_numbers_make_it_unambiguous(runner, app, tmp_path):
    csv = ("phone,name,site,language,cohort\n+4791000001,Amina,Oslo Senter,nb,oslo-1\n"
           "+4791000002,Tesfaye,Oslo Senter,nb,oslo-1\n091000003,Nils,Bergen,nb,bergen-1\n")
    result = runner.invoke(args=["learners", "import", write(tmp_path, "no.csv", csv)])
    assert "created site Oslo Senter" in result.output
    assert "row 4: site 'Bergen' does not exist" in result.output
    with app.app_context():
        from app.db import session_scope
        with session_scope() as db:
            site = db.exec(select(Site).where(Site.name == "Oslo Senter")).one()
            assert (site.country, site.timezone) == ("NO", "Europe/Oslo")


def test_session_complete_and_learner_show_json(runner, app, tmp_path):
    runner.invoke(args=["sites", "add", "Andheri Mall"])
    runner.invoke(args=["learners", "import", write(tmp_path, "a.csv",
                  "phone,name,site,language,cohort\n+919820000001,Asha,Andheri Mall,en,c1\n")])
    with app.app_context():
        from app.db import session_scope
        with session_scope() as db:
            make_module(db)
    result = runner.invoke(args=["sessions", "complete", "--cohort", "c1", "--module", "digital-banking/upi-safety"])
    assert result.exit_code == 0, result.output
    assert "quiz queued for 1 learners" in result.output
    dup = runner.invoke(args=["sessions", "complete", "--cohort", "c1", "--module", "digital-banking/upi-safety",
                              "--at", "2026-03-02T04:00:00+00:00"])
    assert dup.exit_code != 0 and "already has" in dup.output
    missing = runner.invoke(args=["sessions", "complete", "--cohort", "c1", "--module", "nope/nope"])
    assert "no module 'nope/nope'" in missing.output
    assert runner.invoke(args=["dispatch", "--once"]).exit_code == 0
    shown = runner.invoke(args=["learners", "show", "09820000001", "--json"])
    record = json.loads(shown.output)
    assert record["pending_prompt"]["item"] == "digital-banking/upi-safety/never-share-pin"
    assert record["answers"] == [] and record["cards"] == []


def _held_session(runner, app, tmp_path):
    runner.invoke(args=["sites", "add", "Andheri Mall"])
    runner.invoke(args=["learners", "import", write(tmp_path, "a.csv",
                  "phone,name,site,language,cohort\n+919820000001,Asha,Andheri Mall,en,c1\n")])
    with app.app_context():
        from app.db import session_scope
        with session_scope() as db:
            make_module(db)
    assert runner.invoke(args=["sessions", "complete", "--cohort", "c1",
                               "--module", "digital-banking/upi-safety"]).exit_code == 0


def _prompts(app, phone):
    from app.db import session_scope
    from app.models import Prompt

    with app.app_context(), session_scope() as db:
        learner = db.exec(select(Learner).where(Learner.phone == phone)).one()
        return len(db.exec(select(Prompt).where(Prompt.learner_id == learner.id)).all())


def test_newcomers_get_the_held_sessions_quiz_unless_told_not_to(runner, app, tmp_path):
    _held_session(runner, app, tmp_path)
    late = runner.invoke(args=["learners", "import", write(tmp_path, "b.csv",
                         "phone,name,site,language,cohort\n+919820000002,Ravi,Andheri Mall,en,c1\n")])
    assert "1 got the quiz of sessions already held" in late.output
    assert _prompts(app, "+919820000002") == 6
    runner.invoke(args=["learners", "import", "--no-held-sessions", write(tmp_path, "c.csv",
                  "phone,name,site,language,cohort\n+919820000003,Meena,Andheri Mall,en,c1\n")])
    assert _prompts(app, "+919820000003") == 0


def test_sites_set_moves_a_learner_put_off_by_the_old_window(runner, app, clock, tmp_path):
    from datetime import datetime

    clock.set(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))  # 20:30 in Mumbai
    _held_session(runner, app, tmp_path)
    runner.invoke(args=["dispatch", "--once"])
    assert _outbox(app) == 0
    result = runner.invoke(args=["sites", "set", "Andheri Mall", "--window", "08:00-21:00"])
    assert result.exit_code == 0, result.output
    assert "send_end: 20:00 -> 21:00" in result.output and "rescheduled learners: 1" in result.output
    runner.invoke(args=["dispatch", "--once"])
    assert _outbox(app) == 1
    bad = runner.invoke(args=["sites", "set", "Andheri Mall", "--window", "21:00-08:00"])
    assert bad.exit_code != 0 and "must start before it ends" in bad.output


def _outbox(app):
    from app.db import session_scope
    from app.models import Outbox

    with app.app_context(), session_scope() as db:
        return len(db.exec(select(Outbox)).all())


def test_learners_set_deactivate_and_reactivate(runner, app, tmp_path):
    _held_session(runner, app, tmp_path)
    changed = runner.invoke(args=["learners", "set", "09820000001", "--channel", "voice", "--timezone", "Asia/Singapore"])
    assert changed.exit_code == 0, changed.output
    assert "channel: sms -> voice" in changed.output and "timezone: None -> Asia/Singapore" in changed.output
    assert runner.invoke(args=["learners", "deactivate", "09820000001", "--reason", "left"]).exit_code == 0
    assert runner.invoke(args=["dispatch", "--once"]).exit_code == 0
    assert _outbox(app) == 0
    again = runner.invoke(args=["learners", "deactivate", "09820000001"])
    assert again.exit_code != 0 and "only an active learner" in again.output
    assert runner.invoke(args=["learners", "reactivate", "09820000001"]).exit_code == 0
    runner.invoke(args=["dispatch", "--once"])
    assert _outbox(app) == 1
def test_new_sites_get_the_configured_send_window(app_config, tmp_path):
    """SAATHI_SEND_WINDOW_START/_END were read into the policy and used nowhere: every new
    site got 09:00-20:00. They are now the window of a site created without one."""
    from app import create_app

    app = create_app({**app_config, "SEND_WINDOW_START": "08:00", "SEND_WINDOW_END": "18:30"})
    runner = app.test_cli_runner()
    runner.invoke(args=["sites", "add", "Andheri Mall"])
    csv = "phone,name,site,language,cohort\n+4791000001,Amina,Oslo Senter,nb,oslo-1\n"
    runner.invoke(args=["learners", "import", write(tmp_path, "no.csv", csv)])
    listed = runner.invoke(args=["sites", "list"]).output
    assert "Andheri Mall\tIN\tAsia/Kolkata\t08:00-18:30" in listed
    assert "Oslo Senter\tNO\tEurope/Oslo\t08:00-18:30" in listed
    # Updating a site without --window keeps its own window (it used to reset it).
    runner.invoke(args=["sites", "add", "Andheri Mall", "--window", "10:00-17:00"])
    runner.invoke(args=["sites", "add", "Andheri Mall", "--daily-cap", "2"])
    assert "Andheri Mall\tIN\tAsia/Kolkata\t10:00-17:00" in runner.invoke(args=["sites", "list"]).output
    app.extensions["saathi.engine"].dispose()

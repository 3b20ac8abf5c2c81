"""``saathi mentoring``: enrol from the command line, follow up, export and erase."""
from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import select

from app.mentoring import pairs
from app.models import Meeting, Mentee, Mentor, MentoringNotice, Pair


def test_enrol_follow_up_export_and_erase(runner, app, db, clock):
    runner.invoke(args=["sites", "add", "Oslo", "--country", "NO"])
    done = runner.invoke(args=["mentoring", "enrol-mentor", "--site", "Oslo", "--name", "Kari", "--profession",
                               "Engineer ", "--phone", "912 34 567", "--languages", "Arabic, Norwegian",
                               "--capacity", "2"])
    assert done.exit_code == 0, done.output
    assert "Kari (+47" in done.output and "91234567" not in done.output and "engineer, 2 at once" in done.output
    done = runner.invoke(args=["mentoring", "enrol-mentee", "--site", "Oslo", "--name", "Yusuf", "--profession",
                               "ingeniør", "--email", "yusuf@x.test", "--goals", "Work"])
    assert done.exit_code == 0 and "engineer" in done.output, done.output
    refused = runner.invoke(args=["mentoring", "enrol-mentee", "--site", "Oslo", "--name", "X", "--profession", "cook"])
    assert refused.exit_code != 0 and "phone number or an e-mail" in refused.output
    assert runner.invoke(args=["mentoring", "target", "Oslo", "150"]).output.strip() == "Oslo: 150 pairs a year"

    mentor, mentee = db.exec(select(Mentor)).one(), db.exec(select(Mentee)).one()
    pair = pairs.propose(db, mentee=mentee, mentor=mentor, by=None, now=clock.now())
    pairs.confirm(db, pair=pair, starts_on=clock.now().date())
    pairs.log_meeting(db, pair=pair, held_on=clock.now().date(), discussed="CV", by=None, today=clock.now().date(),
                      now=clock.now())
    db.commit()
    clock.advance(days=22)
    assert json.loads(runner.invoke(args=["mentoring", "follow-up"]).output.splitlines()[-1])["nudged"] == 1
    assert json.loads(runner.invoke(args=["mentoring", "follow-up"]).output.splitlines()[-1])["nudged"] == 0

    exported = json.loads(runner.invoke(args=["mentoring", "export", "mentor", str(mentor.id)]).output)
    assert exported["mentor"]["phone"] == "+4791234567"
    assert exported["pairs"][0]["meetings"] == [{"held_on": (clock.now() - timedelta(days=22)).date().isoformat(),
                                                 "discussed": "CV", "next_step": ""}]
    assert {m["to"] for m in exported["pairs"][0]["messages"]} == {"mentor"}
    erased = json.loads(runner.invoke(args=["mentoring", "erase", "mentor", str(mentor.id), "--yes"]).output)
    assert erased == {"meeting": 1, "mentoring_notice": 2, "pair": 1, "match_decision": 0, "mentor": 1}
    db.expire_all()
    assert db.exec(select(Mentor)).all() == [] and db.exec(select(Pair)).all() == []
    assert db.exec(select(Meeting)).all() == [] and db.exec(select(MentoringNotice)).all() == []
    assert db.exec(select(Mentee)).one().name == "Yusuf"  # the other side's own record stays

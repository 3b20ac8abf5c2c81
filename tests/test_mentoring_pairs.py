"""A pair's life in the domain code: enrol, suggest, propose, introduce, confirm or decline, meet, close."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from app.mentoring import pairs
from app.mentoring.people import MentoringError, enrol_mentee, enrol_mentor, mentee_from_learner
from app.models import Learner, MatchDecision, Pair
from app.people.sites import add_site

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def oslo(db):
    return add_site(db=db, name="Oslo", country="NO")


def mentor(db, site, name, profession="Engineer", **kw):
    kw.setdefault("phone", None)
    return enrol_mentor(db, site=site, name=name, profession=profession, email=kw.pop("email", f"{name}@x.test"),
                        now=NOW, **kw)


def test_enrolment_normalises_and_refuses_what_cannot_be_used(db, oslo):
    m = enrol_mentor(db, site=oslo, name=" Kari ", profession="  ENGINEER ", phone="912 34 567", languages="Arabic,norsk",
                     now=NOW)
    assert (m.name, m.profession, m.phone, m.languages) == ("Kari", "engineer", "+4791234567", "arabic, norsk")
    with pytest.raises(MentoringError, match="phone number or an e-mail"):
        enrol_mentor(db, site=oslo, name="X", profession="engineer", now=NOW)
    with pytest.raises(MentoringError, match="not a valid phone number"):
        enrol_mentee(db, site=oslo, name="X", profession="engineer", phone="12", now=NOW)
    with pytest.raises(MentoringError, match="profession"):
        enrol_mentee(db, site=oslo, name="X", profession="  ", email="x@y.z", now=NOW)
    with pytest.raises(MentoringError, match="1 to 10"):
        mentor(db, oslo, "big", capacity=0)


def test_a_learner_becomes_a_mentee_once(db, oslo):
    learner = Learner(phone="+4791000009", name="Amina", site_id=oslo.id, language="nb")
    db.add(learner)
    db.flush()
    mentee = mentee_from_learner(db, learner=learner, profession="Nurse", goals="A job at a hospital", now=NOW)
    assert (mentee.name, mentee.phone, mentee.language, mentee.learner_id) == ("Amina", "+4791000009", "nb", learner.id)
    with pytest.raises(MentoringError, match="already a mentee"):
        mentee_from_learner(db, learner=learner, profession="nurse", now=NOW)


def test_propose_introduce_confirm_runs_six_months_and_takes_a_place(db, oslo):
    kari, ola = mentor(db, oslo, "kari"), mentor(db, oslo, "ola", profession="cook")
    mentee = enrol_mentee(db, site=oslo, name="Yusuf", profession="engineer ", email="y@x.test", goals="Work", now=NOW)
    found = pairs.suggestions(db, mentee)
    assert [m.name for m, _ in found] == ["kari", "ola"] and found[0][1].same_profession
    pair = pairs.propose(db, mentee=mentee, mentor=kari, by=None, now=NOW)
    assert pair.status == "proposed" and pair.goals == "Work"
    with pytest.raises(MentoringError, match="already has a mentor"):
        pairs.propose(db, mentee=mentee, mentor=ola, by=None, now=NOW)
    other = enrol_mentee(db, site=oslo, name="Sara", profession="engineer", email="s@x.test", now=NOW)
    assert [m.name for m, _ in pairs.suggestions(db, other)] == ["ola"]  # kari is full (capacity 1)
    with pytest.raises(MentoringError, match="future"):
        pairs.introduce(db, pair=pair, on=date(2026, 3, 3), today=date(2026, 3, 2))
    pairs.introduce(db, pair=pair, on=date(2026, 3, 1), today=date(2026, 3, 2))
    pairs.confirm(db, pair=pair, starts_on=date(2026, 3, 2), goals="CV, interviews")
    assert (pair.status, pair.ends_on, pair.goals) == ("active", date(2026, 9, 2), "CV, interviews")
    meeting = pairs.log_meeting(db, pair=pair, held_on=date(2026, 3, 2), discussed="CV", next_step="Apply",
                                by=None, today=date(2026, 3, 2), now=NOW)
    assert pairs.meetings_of(db, pair.id) == [meeting]
    with pytest.raises(MentoringError, match="while the pair is active"):
        pairs.record_outcome(db, pair=pair, job=True, in_field=True)
    pairs.close(db, pair=pair, now=NOW)
    pairs.record_outcome(db, pair=pair, job=False, in_field=True, note="Still looking")
    assert (pair.outcome_job, pair.outcome_in_field) == (False, False)
    assert [m.name for m, _ in pairs.suggestions(db, other)] == ["kari", "ola"]  # kari is free again


def test_a_declined_pair_is_remembered_and_not_suggested_again(db, oslo):
    kari, ola = mentor(db, oslo, "kari"), mentor(db, oslo, "ola")
    mentee = enrol_mentee(db, site=oslo, name="Yusuf", profession="engineer", email="y@x.test", now=NOW)
    pair = pairs.propose(db, mentee=mentee, mentor=kari, by=None, now=NOW)
    pairs.decline(db, mentee=mentee, mentor_id=kari.id, pair=pair, reason="No chemistry", by=None, now=NOW)
    assert pair.status == "declined"
    decision = db.exec(select(MatchDecision)).one()
    assert (decision.mentor_id, decision.reason) == (kari.id, "No chemistry")
    assert [m.name for m, _ in pairs.suggestions(db, mentee)] == ["ola"]
    with pytest.raises(MentoringError, match="declined before"):
        pairs.propose(db, mentee=mentee, mentor=kari, by=None, now=NOW)
    pairs.decline(db, mentee=mentee, mentor_id=ola.id, reason="Too far", by=None, now=NOW)  # a bare suggestion
    assert pairs.suggestions(db, mentee) == []
    assert db.exec(select(Pair).where(Pair.status == "proposed")).all() == []


def test_another_programmes_mentor_is_neither_suggested_nor_proposed(db, oslo):
    pune = add_site(db=db, name="Pune", country="IN")
    far = mentor(db, pune, "far")
    mentee = enrol_mentee(db, site=oslo, name="Yusuf", profession="engineer", email="y@x.test", now=NOW)
    assert pairs.suggestions(db, mentee) == []
    with pytest.raises(MentoringError, match="another programme"):
        pairs.propose(db, mentee=mentee, mentor=far, by=None, now=NOW)


def test_an_unknown_message_language_is_refused(db, oslo):
    with pytest.raises(MentoringError, match="unknown language 'xx'"):
        mentor(db, oslo, "kari", language="xx")

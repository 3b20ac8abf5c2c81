"""The follow-up pass: nudges, mid-point and end check-ins, closing; never twice, never at night."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from app.i18n import say
from app.mentoring import inbound as mentoring_inbound
from app.mentoring import pairs
from app.mentoring.followup import follow_up
from app.mentoring.notify import ConsoleMail
from app.mentoring.outmail import send_queued
from app.mentoring.people import enrol_mentee, enrol_mentor
from app.models import Learner, MentoringNotice, Outbox
from app.people.sites import add_site
from app.scheduling.dispatcher import dispatch_once

START = date(2026, 3, 2)
NOON_OSLO = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)


@pytest.fixture
def world(db):
    oslo = add_site(db=db, name="Oslo", country="NO")
    mentor = enrol_mentor(db, site=oslo, name="Kari", profession="engineer", phone="+4791234567", language="nb",
                          now=NOON_OSLO)
    mentee = enrol_mentee(db, site=oslo, name="Yusuf", profession="engineer", email="yusuf@x.test", language="en",
                          now=NOON_OSLO)
    pair = pairs.propose(db, mentee=mentee, mentor=mentor, by=None, now=NOON_OSLO)
    pairs.confirm(db, pair=pair, starts_on=START)
    db.commit()
    return oslo, mentor, mentee, pair


def run(db, when, mail, weeks=3):
    """A pass, committed, then the sending step (as ``run_for_app`` and the CLI do)."""
    stats = follow_up(db, now=when, nudge_weeks=weeks)
    db.commit()
    send_queued(db, mail=mail, now=when)
    return stats


def sms(db):
    return db.exec(select(Outbox).order_by(Outbox.id)).all()


def test_a_quiet_pair_is_nudged_once_per_quiet_period_by_sms_or_e_mail(db, world):
    _oslo, _mentor, _mentee, pair = world
    mail = ConsoleMail()
    assert run(db, NOON_OSLO + timedelta(days=20), mail).nudged == 0
    when = NOON_OSLO + timedelta(days=21)
    assert run(db, when, mail).nudged == 1
    assert run(db, when + timedelta(hours=1), mail).nudged == 0  # never twice
    [row] = sms(db)
    assert row.to_number == "+4791234567" and row.purpose == "notice" and row.next_attempt_at == when
    assert "Yusuf" in row.body and "Hello Kari" not in row.body  # in Kari's language (Norwegian)
    [(to, _subject, body)] = mail.sent
    assert to == "yusuf@x.test" and body.startswith("Hello Yusuf") and "3 weeks" in body
    # A meeting logged starts the count afresh; three more quiet weeks bring the next nudge.
    pairs.log_meeting(db, pair=pair, held_on=date(2026, 3, 25), discussed="CV", by=None, today=date(2026, 3, 25),
                      now=when)
    db.commit()
    assert run(db, datetime(2026, 4, 14, 11, tzinfo=UTC), mail).nudged == 0
    assert run(db, datetime(2026, 4, 15, 11, tzinfo=UTC), mail).nudged == 1
    assert len(mail.sent) == 2 and len(sms(db)) == 2


def test_quiet_hours_and_one_mentoring_sms_a_day(db, world):
    _oslo, _mentor, _mentee, pair = world
    night = datetime(2026, 3, 23, 22, 0, tzinfo=UTC)  # 23:00 in Oslo
    run(db, night, ConsoleMail())
    [row] = sms(db)
    assert row.next_attempt_at == datetime(2026, 3, 24, 8, 0, tzinfo=UTC)  # 09:00 in Oslo
    # The mid-point check-in falls on a day that already has this number's nudge: it waits a day.
    pair.started_on = date(2026, 1, 1)
    pair.ends_on = date(2026, 4, 30)
    db.add(pair)
    db.commit()
    assert run(db, night, ConsoleMail()).midpoint == 1
    second = sms(db)[1]
    assert "halfway" not in second.body and second.next_attempt_at == datetime(2026, 3, 25, 8, 0, tzinfo=UTC)


def test_an_opted_out_person_gets_nothing_but_the_notice_is_recorded(db, world):
    oslo, mentor, _mentee, _pair = world
    db.add(Learner(phone=mentor.phone, name="Kari", site_id=oslo.id, status="opted_out"))
    db.commit()
    run(db, NOON_OSLO + timedelta(days=21), ConsoleMail())
    assert sms(db) == []
    channels = {n.person: n.channel for n in db.exec(select(MentoringNotice)).all()}
    assert channels == {"mentor": "none", "mentee": "email"}


def test_midpoint_then_the_end_closes_the_pair_once(db, world):
    _oslo, _mentor, _mentee, pair = world
    mail = ConsoleMail()
    assert run(db, datetime(2026, 6, 1, 11, tzinfo=UTC), mail, weeks=50).midpoint == 0
    assert run(db, datetime(2026, 6, 2, 11, tzinfo=UTC), mail, weeks=50).midpoint == 1  # day 92 of 184
    assert run(db, datetime(2026, 6, 3, 11, tzinfo=UTC), mail, weeks=50).midpoint == 0
    assert "halfway" in mail.sent[-1][2]
    end = datetime(2026, 9, 2, 11, tzinfo=UTC)
    assert run(db, end - timedelta(days=1), mail, weeks=50).closed == 0
    assert run(db, end, mail, weeks=50).closed == 1
    assert run(db, end, mail, weeks=50).closed == 0
    db.refresh(pair)
    assert pair.status == "closed" and pair.closed_at == end
    kinds = sorted((n.kind, n.person) for n in db.exec(select(MentoringNotice)).all())
    assert kinds == [("end", "mentee"), ("end", "mentor"), ("midpoint", "mentee"), ("midpoint", "mentor")]


def test_the_dispatcher_sends_the_nudge(app, db, world, clock):
    run(db, NOON_OSLO + timedelta(days=21), ConsoleMail())
    stats = dispatch_once(app=app, now=NOON_OSLO + timedelta(days=21, minutes=1))
    assert stats.delivery.sent == 1
    db.expire_all()
    assert sms(db)[0].status in ("sent", "accepted", "delivered")


def test_the_worker_job_runs_without_an_app_context(app, clock):
    """The worker calls it on a scheduler thread: nothing in it may need ``current_app``."""
    from app.db import session_scope
    from app.mentoring.followup import run_for_app

    with app.app_context(), session_scope(app) as db:
        oslo = add_site(db=db, name="Oslo", country="NO")
        mentor = enrol_mentor(db, site=oslo, name="Kari", profession="engineer", phone="+4791234567", now=NOON_OSLO)
        mentee = enrol_mentee(db, site=oslo, name="Yusuf", profession="engineer", email="y@x.test", now=NOON_OSLO)
        pairs.confirm(db, pair=pairs.propose(db, mentee=mentee, mentor=mentor, by=None, now=NOON_OSLO),
                      starts_on=START)
    stats = run_for_app(app, now=NOON_OSLO + timedelta(days=21))
    assert stats is not None and stats.nudged == 1
    assert run_for_app(app, now=NOON_OSLO + timedelta(days=21)).nudged == 0
    assert [to for to, _, _ in app.extensions["saathi.mail"].sent] == ["y@x.test"]


def test_a_mentor_who_texts_stop_gets_nothing_more_until_start(db, world, twilio_post):
    """A mentor is no learner: their STOP reaches the webhook from a stranger's number and
    must still hold, in their language, and cancel what was queued for them."""
    from tests.test_webhooks_sms import inbound, messages_in

    _oslo, mentor, _mentee, _pair = world
    mail = ConsoleMail()
    when = NOON_OSLO + timedelta(days=21)
    assert run(db, when, mail).nudged == 1
    [queued] = sms(db)
    assert queued.status == "queued"
    [reply] = messages_in(twilio_post("/twilio/sms", inbound("SMstop1", mentor.phone, " stopp ")))
    assert reply == say("nb", "You will get no more messages from Saathi. Reply START to begin again.")
    db.expire_all()
    assert db.get(type(mentor), mentor.id).opted_out_at is not None
    assert db.get(Outbox, queued.id).status == "cancelled"
    # Twilio retrying the same MessageSid is answered the same way, once.
    assert messages_in(twilio_post("/twilio/sms", inbound("SMstop1", mentor.phone, " stopp "))) == [reply]
    # Three more quiet weeks: Yusuf (e-mail) is nudged, Kari is not.
    later = when + timedelta(days=21)
    run(db, later, mail)
    assert [r.id for r in sms(db)] == [queued.id] and len(mail.sent) == 2
    [again] = messages_in(twilio_post("/twilio/sms", inbound("SMstart1", mentor.phone, "START")))
    assert again == say("nb", mentoring_inbound.STARTED)
    db.expire_all()
    assert db.get(type(mentor), mentor.id).opted_out_at is None
    run(db, later + timedelta(days=21), mail)
    assert len(sms(db)) == 2  # written to again


def test_a_mentors_stop_or_start_reads_their_record_once(db, world):
    """STOP and START take the language from the records they change: no look first."""
    from tests.test_answer_cost import counted

    _oslo, mentor, _mentee, _pair = world
    for body, when in (("STOP", NOON_OSLO), ("START", NOON_OSLO + timedelta(days=1))):
        with counted(db.get_bind()) as seen:
            reply = mentoring_inbound.answer(db, phone=mentor.phone, text=body, now=when)
        db.commit()
        assert reply is not None and reply != say("nb", mentoring_inbound.THANKS)
        reads = [s for s in seen if s.startswith("SELECT") and "mentor.phone" in s]
        assert len(reads) == 1, seen
    db.expire_all()
    assert db.get(type(mentor), mentor.id).opted_out_at is None


def test_a_stranger_who_texts_stop_is_still_told_to_ask_the_trainer(db, world, twilio_post):
    from app.learning import texts
    from tests.test_webhooks_sms import inbound, messages_in

    [reply] = messages_in(twilio_post("/twilio/sms", inbound("SMx1", "+4790000000", "STOP")))
    assert reply == texts.unknown_number_text("+4790000000")

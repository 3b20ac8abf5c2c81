"""Learners who change: rescheduling on new rules, pauses, and late joiners (the domain side)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from app.learning.inbound import receive_sms
from app.learning.sessions import complete_session
from app.messaging.transport import get_transport
from app.models import AuditEvent, Learner, Outbox, Prompt, Site, VoiceCall
from app.people.changes import LearnerError, deactivate, edit_learner, move_learner, reactivate
from app.people.learners import import_learners
from app.people.sites import SiteError, add_site, change_site_settings, get_or_create_cohort
from app.reports import queries
from app.scheduling.dispatcher import Dispatch, dispatch_once, plan_due
from tests.factories import app_policy, cohort, make_learners, make_module

# 20:30 in Mumbai on a Monday: after the default 09:00-20:00 window has closed.
EVENING = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
TOMORROW_0900_IST = datetime(2026, 3, 3, 3, 30, tzinfo=UTC)
MONTH = timedelta(days=30)


def sent_to(app, phone, kind="sms"):
    return [m for m in get_transport(app).sent if m["to"] == phone and m["kind"] == kind]


def hold_session(db, clock, module=None, name="andheri-march"):
    module = module or make_module(db)
    done = complete_session(db=db, cohort=cohort(db, name), module=module, held_at=clock.now(), now=clock.now())
    db.commit()
    return done.session


def edit(db, learner, clock, **values):
    fields = {"name": learner.name, "language": learner.language, "channel": learner.channel,
                  "timezone": learner.timezone} | values
    change = edit_learner(db, learner=learner, now=clock.now(), user_id=None, **fields)
    db.commit()
    return change


def test_a_wider_window_sends_at_once_what_the_old_one_put_off_to_tomorrow(app, db, clock):
    clock.set(EVENING)
    asha, _ravi = make_learners(db, clock.now())
    hold_session(db, clock)
    assert dispatch_once(app=app).delivery.sent == 0
    db.refresh(asha)
    assert asha.next_contact_at == TOMORROW_0900_IST
    site = db.get(Site, asha.site_id)

    change = change_site_settings(db, site=site, now=clock.now(), user_id=None, timezone=site.timezone,
                                  send_start="08:00", send_end="21:00", daily_cap=None)
    db.commit()
    assert change.rescheduled.learners == 2

    assert dispatch_once(app=app).delivery.sent == 2
    assert "UPI safety" in sent_to(app, asha.phone)[0]["body"]
    (line,) = db.exec(select(AuditEvent).where(AuditEvent.action == "site_settings")).all()
    assert line.site_id == site.id and line.detail["fields"]["send_end"] == ["20:00", "21:00"]
    assert line.detail["rescheduled"]["learners"] == 2


def test_a_narrower_window_puts_off_a_queued_retry_to_the_new_opening(app, db, clock):
    asha, _ = make_learners(db, clock.now())
    hold_session(db, clock)
    plan_due(Dispatch.of(app), now=clock.now())
    row = db.exec(select(Outbox).where(Outbox.learner_id == asha.id)).one()
    site = db.get(Site, asha.site_id)
    # 09:30 in Mumbai; the window now opens at 10:00, so the queued message waits for it.
    change_site_settings(db, site=site, now=clock.now(), user_id=None, timezone=site.timezone,
                         send_start="10:00", send_end="20:00", daily_cap=None)
    db.commit()
    db.refresh(row)
    assert row.next_attempt_at == datetime(2026, 3, 2, 4, 30, tzinfo=UTC)
    assert dispatch_once(app=app).delivery.sent == 0
    clock.set(datetime(2026, 3, 2, 4, 30, tzinfo=UTC))
    assert dispatch_once(app=app).delivery.sent >= 1
    assert sent_to(app, asha.phone)


def test_site_settings_are_checked(app, db, clock):
    make_learners(db, clock.now())
    site = db.exec(select(Site)).one()
    for start, end, zone, cap in (("21:00", "08:00", "Asia/Kolkata", None), ("9", "20:00", "Asia/Kolkata", None),
                                  ("09:00", "20:00", "Mars/Olympus", None), ("09:00", "20:00", "Asia/Kolkata", 0)):
        with pytest.raises(SiteError):
            change_site_settings(db, site=site, now=clock.now(), user_id=None, timezone=zone,
                                 send_start=start, send_end=end, daily_cap=cap)


def test_a_learner_who_moves_timezone_is_messaged_in_their_new_daytime(app, db, clock):
    clock.set(EVENING)  # 20:30 in Mumbai, 16:00 in Oslo
    asha, _ = make_learners(db, clock.now())
    hold_session(db, clock)
    dispatch_once(app=app)
    assert not sent_to(app, asha.phone)

    change = edit(db, asha, clock, timezone="Europe/Oslo")
    assert change.fields == {"timezone": [None, "Europe/Oslo"]}
    dispatch_once(app=app)
    assert len(sent_to(app, asha.phone)) == 1
    assert not sent_to(app, "+919876543211")  # Ravi is still in Mumbai's evening


def test_from_voice_to_sms_the_queued_call_is_not_placed_and_its_question_comes_by_sms(app, db, clock):
    asha, _ = make_learners(db, clock.now(), "phone,name,site,language,cohort,channel\n"
                                              "+919876543210,Asha Devi,Andheri Mall,en,andheri-march,voice\n"
                                              "+919876543211,Ravi Kumar,Andheri Mall,hi,andheri-march,sms\n")
    hold_session(db, clock)
    plan_due(Dispatch.of(app), now=clock.now())  # the call is queued, not dialled yet
    call = db.exec(select(VoiceCall).where(VoiceCall.learner_id == asha.id)).one()

    change = edit(db, asha, clock, channel="sms")
    assert change.rescheduled.calls_cancelled == 1
    dispatch_once(app=app)

    assert sent_to(app, asha.phone, "call") == []
    (sms,) = sent_to(app, asha.phone)
    assert "A caller asks for your UPI PIN" in sms["body"]
    db.refresh(call)
    assert call.status == "abandoned"
    pending = db.exec(select(Prompt).where(Prompt.learner_id == asha.id, Prompt.status == "pending")).one()
    assert pending.kind == "question" and pending.seq == 1 and pending.channel == "sms"
    reply = receive_sms(db=db, sid="SMx1", from_number=asha.phone, body="2", now=clock.now(), policy=app_policy())
    assert "Correct" in str(reply)


def test_from_sms_to_voice_the_waiting_question_is_asked_by_call(app, db, clock):
    asha, _ = make_learners(db, clock.now())
    hold_session(db, clock)
    dispatch_once(app=app)
    assert len(sent_to(app, asha.phone)) == 1
    edit(db, asha, clock, channel="voice")
    dispatch_once(app=app)
    (_call,) = sent_to(app, asha.phone, "call")
    voice = db.exec(select(VoiceCall).where(VoiceCall.learner_id == asha.id)).one()
    first = db.get(Prompt, voice.prompt_ids[0])
    assert first.kind == "question" and first.seq == 1 and first.status == "pending"
    assert len(sent_to(app, asha.phone)) == 1  # no second SMS


def test_a_deactivated_learner_gets_nothing_and_carries_on_when_reactivated(app, db, clock):
    asha, _ravi = make_learners(db, clock.now())
    hold_session(db, clock)
    plan_due(Dispatch.of(app), now=clock.now())
    queued = db.exec(select(Outbox).where(Outbox.learner_id == asha.id)).one()

    change = deactivate(db, learner=asha, now=clock.now(), user_id=None, reason="on leave")
    db.commit()
    assert change.rescheduled.messages_cancelled == 1
    for _ in range(3):
        dispatch_once(app=app)
        clock.advance(days=1)
    assert sent_to(app, asha.phone) == []
    db.refresh(queued)
    assert queued.status == "cancelled"
    # History is kept and reports still count her, as not active.
    assert len(db.exec(select(Prompt).where(Prompt.learner_id == asha.id)).all()) == 6
    total = queries.overview(db=db, site_ids=None)
    assert (total.learners, total.active) == (2, 1)

    reactivate(db, learner=asha, now=clock.now(), user_id=None, late_join=MONTH)
    db.commit()
    dispatch_once(app=app)
    (sms,) = sent_to(app, asha.phone)
    # Where she stopped: the greeting and the first question, neither of which went out.
    assert "Thank you for today's session" in sms["body"] and "A caller asks for your UPI PIN" in sms["body"]
    actions = db.exec(select(AuditEvent.action).where(AuditEvent.learner_id == asha.id)
                      .order_by(AuditEvent.id)).all()
    assert actions == ["learner_added", "learner_deactivated", "learner_reactivated"]


def test_a_paused_learner_who_sends_stop_stays_opted_out(app, db, clock):
    asha, _ = make_learners(db, clock.now())
    deactivate(db, learner=asha, now=clock.now(), user_id=None)
    db.commit()
    receive_sms(db=db, sid="SMstop", from_number=asha.phone, body="STOP", now=clock.now(), policy=app_policy())
    db.commit()
    db.refresh(asha)
    assert asha.status == "opted_out"
    with pytest.raises(LearnerError):
        reactivate(db, learner=asha, now=clock.now(), user_id=None, late_join=MONTH)


def test_a_learner_imported_after_the_session_gets_its_quiz_once(app, db, clock):
    make_learners(db, clock.now())
    hold_session(db, clock)
    clock.advance(days=3)
    sheet = "phone,name,site,language,cohort\n+919876543299,Meena Joshi,Andheri Mall,en,andheri-march\n"
    report = import_learners(db=db, csv_text=sheet, now=clock.now(), late_join=MONTH)
    db.commit()
    assert (report.created, report.caught_up) == (1, 1)
    meena = db.exec(select(Learner).where(Learner.name == "Meena Joshi")).one()
    prompts = db.exec(select(Prompt).where(Prompt.learner_id == meena.id)).all()
    assert [p.kind for p in sorted(prompts, key=lambda p: p.seq)] == \
        ["greeting", "question", "question", "question", "rating", "comment"]
    again = import_learners(db=db, csv_text=sheet, now=clock.now(), late_join=MONTH)
    db.commit()
    assert (again.unchanged, again.caught_up) == (1, 0)
    assert len(db.exec(select(Prompt).where(Prompt.learner_id == meena.id)).all()) == 6
    dispatch_once(app=app)
    assert "UPI safety" in sent_to(app, meena.phone)[0]["body"]


def test_unticked_or_too_old_sessions_are_not_sent_to_newcomers(app, db, clock):
    make_learners(db, clock.now())
    hold_session(db, clock)
    sheet = "phone,name,site,language,cohort\n+919876543299,Meena Joshi,Andheri Mall,en,andheri-march\n"
    assert import_learners(db=db, csv_text=sheet, now=clock.now(), late_join=None).caught_up == 0
    clock.advance(days=31)
    sheet = "phone,name,site,language,cohort\n+919876543298,Kiran Patil,Andheri Mall,en,andheri-march\n"
    assert import_learners(db=db, csv_text=sheet, now=clock.now(), late_join=MONTH).caught_up == 0
    db.commit()
    newcomers = db.exec(select(Learner.id).where(Learner.name.in_(["Meena Joshi", "Kiran Patil"]))).all()
    assert db.exec(select(Prompt).where(Prompt.learner_id.in_(newcomers))).all() == []


def test_moving_to_another_sites_cohort_moves_the_site_and_catches_up_once(app, db, clock):
    asha, _ = make_learners(db, clock.now())
    oslo = add_site(db=db, name="Oslo Læringssenter", country="NO")
    module = make_module(db)
    oslo_cohort = get_or_create_cohort(db=db, name="oslo-mars", site=oslo)
    db.commit()
    held = complete_session(db=db, cohort=oslo_cohort, module=module, held_at=clock.now(), now=clock.now()).session
    db.commit()
    home = cohort(db)

    change = move_learner(db, learner=asha, cohort=oslo_cohort, now=clock.now(), user_id=None, late_join=MONTH)
    db.commit()
    assert asha.site_id == oslo.id and [s.id for s in change.sessions_queued] == [held.id]
    move_learner(db, learner=asha, cohort=home, now=clock.now(), user_id=None, late_join=MONTH)
    again = move_learner(db, learner=asha, cohort=oslo_cohort, now=clock.now(), user_id=None, late_join=MONTH)
    db.commit()
    assert again.sessions_queued == []
    greetings = db.exec(select(Prompt).where(Prompt.learner_id == asha.id, Prompt.kind == "greeting")).all()
    assert len(greetings) == 1
    # Each site's supervisor sees the move in their own site's log.
    moves = db.exec(select(AuditEvent).where(AuditEvent.action == "learner_moved")
                    .order_by(AuditEvent.id)).all()
    assert {m.site_id for m in moves[:2]} == {oslo.id, home.site_id}
    assert moves[0].detail["to_cohort"] == "oslo-mars"


def test_a_raised_daily_cap_lets_a_held_back_learner_hear_today(app, db, clock):
    module = make_module(db)
    asha, _ = make_learners(db, clock.now())
    site = db.get(Site, asha.site_id)
    site.daily_cap = 1
    db.add(site)
    db.commit()
    complete_session(db=db, cohort=cohort(db), module=module, held_at=clock.now(), now=clock.now())
    db.commit()
    dispatch_once(app=app)
    receive_sms(db=db, sid="SMa1", from_number=asha.phone, body="2", now=clock.now(), policy=app_policy())
    db.commit()
    for prompt in db.exec(select(Prompt).where(Prompt.status == "pending")).all():
        prompt.status = "expired"  # she stopped answering; the next prompt is capped
        db.add(prompt)
    db.commit()
    clock.advance(hours=1)
    dispatch_once(app=app)
    db.refresh(asha)
    assert asha.next_contact_at == TOMORROW_0900_IST
    before = len(sent_to(app, asha.phone))
    change_site_settings(db, site=site, now=clock.now(), user_id=None, timezone=site.timezone,
                         send_start=site.send_start, send_end=site.send_end, daily_cap=3)
    db.commit()
    dispatch_once(app=app)
    assert len(sent_to(app, asha.phone)) == before + 1

"""Outcome check-ins and milestone questions on the learner's own channel.

A voice learner hears the check-in in a call and answers on the keypad; a WhatsApp learner
gets the opener template outside the window, then the question as a list of four buttons.
Answers update the journey as an SMS answer does; an unclear one goes to the supervisors'
queue. A check-in whose send failed comes again instead of expiring.
"""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from app.channels.messages import release_prompt
from app.db import session_scope
from app.journeys import milestones
from app.journeys.checkins import months_after
from app.journeys.steps import journey_of, record_step
from app.learning.prompt_kinds import KINDS, QUESTION_KINDS, REQUEUED_KINDS, VOICE_KINDS
from app.learning.sessions import complete_session
from app.models import JourneyCheckin, Learner, LearnerMilestone, Outbox, Pack, Prompt
from app.scheduling.dispatcher import dispatch_once
from tests.factories import cohort, make_learners, make_module
from tests.test_voice_call import calls_to, gather_of, press, said, start_call
from tests.test_whatsapp import OPENER, SESSION, TEMPLATES

LIST4 = "HX" + "e" * 32
VOICE = """phone,name,site,language,cohort,channel
+919876543210,Asha Devi,Andheri Mall,en,andheri-march,voice
"""


@pytest.fixture
def app_config(app_config):
    content = {**SESSION, "list-4": LIST4}
    return {**app_config, "WHATSAPP_FROM": "whatsapp:+15005550006",
            "WHATSAPP_CONTENT": ",".join(f"{k}={v}" for k, v in content.items())}


def checkin_day(graduated):
    """06:00 UTC (11:30 in Mumbai, inside the window) three months after graduating."""
    day = months_after(graduated, 3)
    return datetime(day.year, day.month, day.day, 6, 0, tzinfo=UTC)


def test_the_kinds_have_one_home():
    assert QUESTION_KINDS == ("question", "review", "practice")
    assert "checkin" in REQUEUED_KINDS and "checkin" in VOICE_KINDS and "comment" not in VOICE_KINDS
    assert "review" not in REQUEUED_KINDS  # its card stays due and comes again by itself
    assert KINDS["checkin"].choices == 4 and KINDS["milestone"].choices == 2


def _graduated_voice_learner(db, clock) -> Learner:
    (asha,) = make_learners(db, clock.now(), VOICE)
    record_step(db=db, learner=asha, stage="graduated", starts_on=clock.now().date(), now=clock.now())
    db.commit()
    return asha


def test_a_voice_learner_hears_the_checkin_and_answers_on_the_keypad(app, db, clock, twilio_post):
    asha = _graduated_voice_learner(db, clock)
    clock.set(checkin_day(asha.created_at.date()))
    dispatch_once(app=app)
    assert len(calls_to(app, asha.phone)) == 1
    root = start_call(app, twilio_post, asha)
    assert any("Press 1 for the same job, 2 for a new job" in s for s in said(gather_of(root)))
    root = press(twilio_post, root, "2")
    assert "Thank you!" in said(root)
    db.expire_all()
    steps = journey_of(db=db, learner_id=asha.id)
    assert (steps[-1].stage, steps[-1].kind) == ("outcome", "new_job")
    assert steps[-1].note.startswith("Voice check-in, 3 months")
    assert db.exec(select(JourneyCheckin.status)).all() == ["answered"]


def test_a_key_that_is_no_answer_twice_goes_to_the_supervisors_queue(app, db, clock, twilio_post):
    asha = _graduated_voice_learner(db, clock)
    clock.set(checkin_day(asha.created_at.date()))
    dispatch_once(app=app)
    root = start_call(app, twilio_post, asha)
    root = press(twilio_post, root, "7")
    assert any("from 1 to 4" in s for s in said(root))
    press(twilio_post, root, "8")
    db.expire_all()
    (row,) = db.exec(select(JourneyCheckin)).all()
    assert (row.status, row.kind, row.raw) == ("unclear", None, "8")
    assert [s.stage for s in journey_of(db=db, learner_id=asha.id)] == ["graduated"]


def test_a_milestone_question_by_voice_records_the_milestone(app, db, clock, twilio_post):
    (asha,) = make_learners(db, clock.now(), VOICE)
    milestones.ask(db, learner=asha, key="cv", now=clock.now())
    db.commit()
    dispatch_once(app=app)
    root = start_call(app, twilio_post, asha)
    assert any("Have you written your CV? Press 1 for yes" in s for s in said(gather_of(root)))
    press(twilio_post, root, "1")
    db.expire_all()
    row = db.exec(select(LearnerMilestone)).one()
    assert (row.key, row.status, row.channel, row.reached_on) == ("cv", "reached", "voice", clock.now().date())


def test_a_checkin_whose_send_failed_comes_again(app, db, clock):
    asha = _graduated_voice_learner(db, clock)
    prompt = db.exec(select(Prompt).where(Prompt.kind == "checkin", Prompt.seq == 3)).one()
    prompt.status = "pending"
    db.add(prompt)
    row = Outbox(learner_id=asha.id, prompt_id=prompt.id, kind="sms", purpose="prompt", to_number=asha.phone,
                 body="x", status="failed", created_at=clock.now(), updated_at=clock.now())
    release_prompt(db, row, now=clock.now())
    assert (prompt.status, prompt.due_at) == ("queued", clock.now() + timedelta(hours=6))


WA_CSV = """phone,name,site,language,cohort,channel
+919820000011,Asha Devi,Andheri Mall,en,andheri-march,whatsapp
"""
NUMBER = "+919820000011"


def test_a_whatsapp_learner_gets_the_opener_then_four_buttons_and_a_tap_is_an_outcome(live_app, fake_twilio, clock):
    fake_twilio.contents.update({LIST4: {"approved": False, "buttons": 4, "type": "list-picker"},
                                 OPENER: {"approved": True, "body": TEMPLATES["whatsapp"]["opener"]["en"]["body"]}})
    graduate(live_app, clock, TEMPLATES)
    dispatch_once(app=live_app)
    sent = [m for m in fake_twilio.messages if m["to"] == "whatsapp:" + NUMBER]
    assert len(sent) == 1 and sent[0]["_params"]["ContentSid"] == OPENER  # outside the window: the template
    url = live_app.config["PUBLIC_URL"] + "/twilio/whatsapp"
    fake_twilio.whatsapp_reply(NUMBER, body="Hi", url=url)
    dispatch_once(app=live_app)
    question = [m for m in fake_twilio.messages if m["to"] == "whatsapp:" + NUMBER][-1]
    assert question["_params"]["ContentSid"] == LIST4
    variables = json.loads(question["_params"]["ContentVariables"])
    assert variables["1"].startswith("Are you working now?")
    assert [variables[str(n)] for n in (2, 4, 6, 8)] == ["1. Same job", "2. New job", "3. Studying",
                                                         "4. Looking for work"]
    fake_twilio.whatsapp_reply(NUMBER, tap=3, url=url)
    with live_app.app_context(), session_scope(live_app) as db:
        learner = db.exec(select(Learner).where(Learner.phone == NUMBER)).one()
        steps = journey_of(db=db, learner_id=learner.id)
        assert (steps[-1].stage, steps[-1].kind) == ("outcome", "education")
        assert steps[-1].note.startswith("WhatsApp check-in")


def test_an_unclear_whatsapp_reply_goes_to_the_queue(live_app, fake_twilio, clock):
    fake_twilio.contents.update({LIST4: {"approved": False, "buttons": 4, "type": "list-picker"}})
    with live_app.app_context(), session_scope(live_app) as db:
        make_module(db)
        (asha,) = make_learners(db, clock.now(), WA_CSV)
        record_step(db=db, learner=asha, stage="graduated", starts_on=clock.now().date(), now=clock.now())
        day = checkin_day(clock.now().date())
    clock.set(day)
    url = live_app.config["PUBLIC_URL"] + "/twilio/whatsapp"
    fake_twilio.whatsapp_reply(NUMBER, body="Hello", url=url)  # the window is open
    dispatch_once(app=live_app)
    bodies = [m["body"] for m in fake_twilio.messages if m["to"] == "whatsapp:" + NUMBER]
    assert [b for b in bodies if b.startswith("Are you working now?")], bodies
    fake_twilio.whatsapp_reply(NUMBER, body="I help my uncle in his shop sometimes", url=url)
    with live_app.app_context(), session_scope(live_app) as db:
        (row,) = db.exec(select(JourneyCheckin)).all()
        assert (row.status, row.raw) == ("unclear", "I help my uncle in his shop sometimes")


def graduate(live_app, clock, pack_templates) -> None:
    """A WhatsApp learner of a pack with ``pack_templates`` graduates; the clock goes to the
    day of the three-month check-in (the learner's window long closed)."""
    with live_app.app_context(), session_scope(live_app) as db:
        module = make_module(db)
        db.get(Pack, module.pack_id).templates = pack_templates
        (asha,) = make_learners(db, clock.now(), WA_CSV)
        complete_session(db=db, cohort=cohort(db), module=module, held_at=clock.now(), now=clock.now())
        for prompt in db.exec(select(Prompt)).all():  # the quiz is done: only the check-in is left
            prompt.status = "answered"
        record_step(db=db, learner=asha, stage="graduated", starts_on=clock.now().date(), now=clock.now())
        day = checkin_day(clock.now().date())
    clock.set(day)

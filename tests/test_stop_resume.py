"""STOP in the middle of a quiz, then START: the learner carries on where they stopped.

Driven as a learner lives it: replies through ``receive_sms`` (the webhook's domain call),
messages out through dispatch passes, time moved by the injected clock.
"""
from __future__ import annotations

import uuid

from sqlmodel import select

from app.learning.inbound import receive_sms
from app.models import Answer, Feedback, Item, Outbox, Prompt, Site
from app.scheduling.dispatcher import dispatch_once
from tests.factories import app_policy, held_session
from tests.test_voice_call import VOICE_LEARNERS, gather_of, post, press, said


def text(db, phone, body, clock):
    reply = receive_sms(db=db, sid="SM" + uuid.uuid4().hex, from_number=phone, body=body, now=clock.now(),
                        policy=app_policy())
    db.commit()
    return str(reply)


def sent_to(db, phone):
    """What the dispatcher sent (not the replies carried in the webhook's TwiML)."""
    return [r.body for r in db.exec(select(Outbox).where(Outbox.to_number == phone, Outbox.purpose != "reply",
                                                         Outbox.status != "cancelled").order_by(Outbox.id)).all()]


def held(db, clock):
    learners = held_session(db, clock.now())
    return learners


def answered_items(db, learner):
    rows = db.exec(select(Answer, Item).join(Item, Item.id == Answer.item_id)
                   .where(Answer.learner_id == learner.id).order_by(Answer.id)).all()
    return [item.slug for _, item in rows]


def test_stop_then_start_mid_quiz_carries_on_with_the_pending_question_and_the_feedback(app, db, clock):
    asha, _ = held(db, clock)
    dispatch_once(app=app)
    assert "Q1/3" in sent_to(db, asha.phone)[0]
    assert "Q2/3" in text(db, asha.phone, "2", clock)  # Q2 goes out with the verdict and waits
    assert "no more messages" in text(db, asha.phone, "STOP", clock)

    clock.advance(days=1)
    dispatch_once(app=app)
    assert len(sent_to(db, asha.phone)) == 1  # nothing while opted out
    assert text(db, asha.phone, "2", clock) == ""  # and no reply either

    assert "Welcome back" in text(db, asha.phone, "START", clock)
    dispatch_once(app=app)
    resumed = sent_to(db, asha.phone)[1:]
    assert len(resumed) == 1 and "Q2/3" in resumed[0] and "Someone says he is from the bank" in resumed[0]
    assert "Q3/3" in text(db, asha.phone, "2", clock)
    assert "1 to 5" in text(db, asha.phone, "1", clock)
    assert "Anything to tell your trainer?" in text(db, asha.phone, "4", clock)
    assert "trainer will read this" in text(db, asha.phone, "Good, but STOP was by mistake", clock)

    # Every question answered once, none twice; the feedback reached the trainer.
    assert answered_items(db, asha) == ["never-share-pin", "otp-is-secret", "check-payee"]
    feedback = db.exec(select(Feedback).where(Feedback.learner_id == asha.id)).one()
    assert (feedback.rating, feedback.comment) == (4, "Good, but STOP was by mistake")
    clock.advance(hours=1)
    dispatch_once(app=app)
    assert len(sent_to(db, asha.phone)) == 2  # the sequence is over: nothing else comes today


def test_stop_before_the_first_message_then_start_sends_the_greeting_and_all_questions(app, db, clock):
    asha, ravi = held(db, clock)
    text(db, asha.phone, "STOP", clock)
    dispatch_once(app=app)
    assert sent_to(db, asha.phone) == [] and len(sent_to(db, ravi.phone)) == 1
    text(db, asha.phone, "START", clock)
    dispatch_once(app=app)
    (first,) = sent_to(db, asha.phone)
    assert first.startswith("Thank you for today's session on UPI safety") and "Q1/3" in first


def test_a_question_only_queued_in_the_outbox_at_stop_is_asked_after_start(app, db, clock):
    """The dispatcher wrote Q1 to the outbox but had not sent it when STOP came."""
    from app.scheduling.dispatcher import Dispatch, plan_due

    asha, _ = held(db, clock)
    plan_due(Dispatch.of(app), now=clock.now())
    db.expire_all()
    assert db.exec(select(Outbox).where(Outbox.to_number == asha.phone, Outbox.status == "queued")).one()
    text(db, asha.phone, "STOP", clock)
    dispatch_once(app=app)
    assert sent_to(db, asha.phone) == []  # cancelled, never sent
    text(db, asha.phone, "START", clock)
    dispatch_once(app=app)
    (first,) = sent_to(db, asha.phone)
    assert "Q1/3" in first
    assert "Correct!" in text(db, asha.phone, "2", clock)


def test_the_resumed_quiz_waits_for_the_send_window(app, db, clock):
    asha, _ = held(db, clock)
    dispatch_once(app=app)
    text(db, asha.phone, "2", clock)
    text(db, asha.phone, "STOP", clock)
    clock.advance(hours=12)  # 21:30 in India
    text(db, asha.phone, "START", clock)
    assert dispatch_once(app=app).plan.planned == 0
    assert len(sent_to(db, asha.phone)) == 1
    clock.advance(hours=12)  # 09:30 the next morning
    dispatch_once(app=app)
    assert "Q2/3" in sent_to(db, asha.phone)[-1]


def test_the_resumed_quiz_counts_against_the_daily_cap(app, db, clock):
    asha, _ = held(db, clock)
    site = db.get(Site, asha.site_id)
    site.daily_cap = 1
    db.add(site)
    db.commit()
    dispatch_once(app=app)  # Q1: today's one message
    text(db, asha.phone, "2", clock)
    text(db, asha.phone, "STOP", clock)
    text(db, asha.phone, "START", clock)
    assert dispatch_once(app=app).plan.over_cap == 1  # Asha had hers today
    assert len(sent_to(db, asha.phone)) == 1
    clock.advance(days=1)
    dispatch_once(app=app)
    assert "Q2/3" in sent_to(db, asha.phone)[-1]


def test_stop_during_the_feedback_brings_back_the_rating_not_the_quiz(app, db, clock):
    asha, _ = held(db, clock)
    dispatch_once(app=app)
    for body in ["2", "2"]:
        text(db, asha.phone, body, clock)
    assert "1 to 5" in text(db, asha.phone, "1", clock)
    text(db, asha.phone, "stop", clock)
    text(db, asha.phone, "start", clock)
    dispatch_once(app=app)
    assert "How useful was today's session?" in sent_to(db, asha.phone)[-1]
    assert "Anything to tell your trainer?" in text(db, asha.phone, "5", clock)
    text(db, asha.phone, "0", clock)
    assert answered_items(db, asha) == ["never-share-pin", "otp-is-secret", "check-payee"]
    assert db.exec(select(Feedback.rating).where(Feedback.learner_id == asha.id)).one() == 5


def test_a_pending_review_at_stop_comes_back_as_its_card_is_still_due(app, db, clock):
    asha, _ = held(db, clock)
    dispatch_once(app=app)
    for body in ["1", "2", "1", "5", "0"]:  # Q1 wrong: due again tomorrow
        text(db, asha.phone, body, clock)
    clock.advance(days=1)
    dispatch_once(app=app)
    assert "UPI PIN" in sent_to(db, asha.phone)[-1]
    text(db, asha.phone, "STOP", clock)
    assert db.exec(select(Prompt).where(Prompt.learner_id == asha.id, Prompt.status == "pending")).all() == []
    text(db, asha.phone, "START", clock)
    dispatch_once(app=app)
    assert "UPI PIN" in sent_to(db, asha.phone)[-1]
    assert text(db, asha.phone, "2", clock).startswith("Correct!")


# ---- voice learners ------------------------------------------------------------------------



def voice_held(db, clock):
    learners = held_session(db, clock.now(), VOICE_LEARNERS)
    return learners


def calls_to(app, phone):
    from app.messaging.transport import get_transport

    return [m for m in get_transport(app).sent if m["kind"] == "call" and m["to"] == phone]


def answer_call(twilio_post, call):
    """The learner picks up: Twilio fetches the call's TwiML."""
    return post(twilio_post, call["url"], CallStatus="in-progress", Direction="outbound-api")


def test_stop_while_a_call_is_being_dialled_then_start_calls_again_from_the_first_question(
        app, db, clock, twilio_post):
    asha, _, _ = voice_held(db, clock)
    dispatch_once(app=app)
    (first_call,) = calls_to(app, asha.phone)
    assert "no more messages" in text(db, asha.phone, "STOP", clock)
    root = answer_call(twilio_post, first_call)  # the phone was already ringing
    assert root.findall("Gather") == [] and root.find("Hangup") is not None
    assert said(root) == ["There are no questions for you right now. Goodbye!"]
    clock.advance(hours=2)
    dispatch_once(app=app)
    assert len(calls_to(app, asha.phone)) == 1  # no call while opted out

    text(db, asha.phone, "START", clock)
    dispatch_once(app=app)
    _, second_call = calls_to(app, asha.phone)
    root = answer_call(twilio_post, second_call)
    assert said(gather_of(root))[0] == "Question 1 of 3."
    for key in ("2", "2", "1"):
        root = press(twilio_post, root, key)
    assert said(gather_of(root))[0].startswith("How useful was today's session?")
    root = press(twilio_post, root, "4")
    assert said(root)[0] == "Thank you for your rating!" and root.find("Hangup") is not None
    assert answered_items(db, asha) == ["never-share-pin", "otp-is-secret", "check-payee"]
    assert db.exec(select(Feedback.rating).where(Feedback.learner_id == asha.id)).one() == 4


def test_stop_during_a_call_ends_it_and_start_calls_back_with_the_rest(app, db, clock, twilio_post):
    asha, _, _ = voice_held(db, clock)
    dispatch_once(app=app)
    (first_call,) = calls_to(app, asha.phone)
    root = answer_call(twilio_post, first_call)
    root = press(twilio_post, root, "2")
    assert said(root)[0] == "Correct!" and said(gather_of(root))[0] == "Question 2 of 3."
    text(db, asha.phone, "STOP", clock)  # by SMS, while Q2 is being read out
    root = press(twilio_post, root, "2")  # the key is not graded: the call says goodbye
    assert root.findall("Gather") == [] and root.find("Hangup") is not None
    assert answered_items(db, asha) == ["never-share-pin"]

    clock.advance(minutes=30)
    text(db, asha.phone, "START", clock)
    dispatch_once(app=app)
    _, second_call = calls_to(app, asha.phone)
    root = answer_call(twilio_post, second_call)
    assert said(gather_of(root))[0] == "Question 2 of 3."  # the question pending at STOP, asked again
    root = press(twilio_post, root, "2")
    assert said(root)[0] == "Correct!" and said(gather_of(root))[0] == "Question 3 of 3."
    root = press(twilio_post, root, "1")
    root = press(twilio_post, root, "5")
    assert root.find("Hangup") is not None
    assert answered_items(db, asha) == ["never-share-pin", "otp-is-secret", "check-payee"]
    assert db.exec(select(Feedback.rating).where(Feedback.learner_id == asha.id)).one() == 5

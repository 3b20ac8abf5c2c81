"""A quiz call as Twilio drives it: signed webhooks in, TwiML out, answers stored as over SMS."""
from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from sqlmodel import select

from app.i18n import say
from app.learning.inbound import receive_sms
from app.learning.sessions import complete_session
from app.messaging.transport import get_transport
from app.models import Answer, Card, Feedback, Item, Outbox, Prompt, VoiceCall, VoiceSetting
from app.scheduling.dispatcher import dispatch_once
from tests.conftest import PUBLIC_URL
from tests.factories import app_policy as _policy
from tests.factories import cohort, held_session, make_learners, make_module

VOICE_LEARNERS = """phone,name,site,language,cohort,channel
+919876543210,Asha Devi,Andheri Mall,en,andheri-march,voice
+919876543211,Ravi Kumar,Andheri Mall,hi,andheri-march,voice
+919876543212,Sunil Rao,Andheri Mall,en,andheri-march,sms
"""


@pytest.fixture
def held(app, db, clock):
    """A session held for a cohort of two voice learners and one SMS learner."""
    learners = held_session(db, clock.now(), VOICE_LEARNERS)
    return learners


def calls_to(app, phone):
    return [m for m in get_transport(app).sent if m["kind"] == "call" and m["to"] == phone]


def twiml(response) -> ET.Element:
    assert response.status_code == 200, response.data
    assert response.mimetype == "application/xml"
    root = ET.fromstring(response.data)
    assert root.tag == "Response"
    return root


def post(twilio_post, url: str, **params):
    assert url.startswith(PUBLIC_URL)
    return twiml(twilio_post(url[len(PUBLIC_URL):], {"CallSid": "CAtest", "AccountSid": "AC" + "0" * 32,
                                                      **params}))


def said(node: ET.Element) -> list[str]:
    return ["".join(el.itertext()) for el in node.iter("Say")]  # the text, or its <prosody>'s


def gather_of(root: ET.Element) -> ET.Element:
    gathers = root.findall("Gather")
    assert len(gathers) == 1, ET.tostring(root)
    return gathers[0]


def press(twilio_post, root: ET.Element, key: str | None):
    """Answer the root's Gather with ``key``; None: let it time out (Twilio follows the Redirect)."""
    if key is None:
        (redirect,) = root.findall("Redirect")
        return post(twilio_post, redirect.text)
    return post(twilio_post, gather_of(root).get("action"), Digits=key)


def start_call(app, twilio_post, learner):
    (call,) = calls_to(app, learner.phone)
    return post(twilio_post, call["url"], CallStatus="in-progress", Direction="outbound-api")


def test_a_voice_learner_is_called_not_texted(app, db, clock, held):
    asha, _, sunil = held
    stats = dispatch_once(app=app)
    assert stats.plan.planned == 3
    (call,) = calls_to(app, asha.phone)
    assert call["url"].startswith(PUBLIC_URL + "/twilio/voice?call=")
    rows = db.exec(select(Outbox).where(Outbox.to_number == asha.phone)).all()
    assert [(r.kind, r.purpose, r.segments) for r in rows] == [("call", "prompt", 0)]
    assert rows[0].body == call["url"]
    assert [m["kind"] for m in get_transport(app).sent if m["to"] == sunil.phone] == ["sms"]
    # Its first question is the learner's one pending prompt, so the next tick plans nothing more.
    pending = db.exec(select(Prompt).where(Prompt.learner_id == asha.id, Prompt.status == "pending")).one()
    assert pending.kind == "question" and pending.seq == 1 and pending.channel == "voice"
    clock.advance(minutes=5)
    assert dispatch_once(app=app).plan.planned == 0
    assert len(calls_to(app, asha.phone)) == 1


def test_the_call_greets_asks_each_question_with_the_keypad_and_stores_answers(app, db, clock, held,
                                                                              twilio_post):
    asha, _, _ = held
    dispatch_once(app=app)
    root = start_call(app, twilio_post, asha)
    # <Say> greeting, then <Gather> around the question, then <Redirect> for "no key".
    assert [el.tag for el in root] == ["Say", "Gather", "Redirect"]
    greeting = root[0]
    assert greeting.get("language") == "en-IN" and greeting.get("voice") == "Polly.Raveena"
    assert greeting.text.startswith("Hello Asha, this is Saathi.")
    assert "UPI safety" in greeting.text
    gather = gather_of(root)
    assert gather.get("numDigits") == "1" and gather.get("method") == "POST"
    assert gather.get("input") == "dtmf speech" and gather.get("language") == "en-IN"
    action = gather.get("action")
    assert action.startswith(PUBLIC_URL + "/twilio/voice/answer?call=") and "try=1" in action
    assert root.find("Redirect").text == action
    assert all(el.get("voice") == "Polly.Raveena" for el in gather.iter("Say"))
    assert said(gather) == ["Question 1 of 3.",
                            "A caller asks for your UPI PIN to send you money. What do you do?",
                            "Press 1 for Tell the PIN.", "Press 2 for Refuse and hang up.",
                            "Press 3 for Ask a friend."]

    root = press(twilio_post, root, "2")
    assert said(root)[0] == "Correct!"
    assert said(gather_of(root))[0] == "Question 2 of 3."
    root = press(twilio_post, root, "1")
    assert said(root)[0] == ("Not quite. The answer is 2, Say nothing and hang up. "
                             "The bank never asks for your OTP.")
    root = press(twilio_post, root, "1")
    assert said(root)[0] == "Correct!"
    assert said(gather_of(root)) == [
        "How useful was today's session? Press a number from 1 to 5. 5 means very useful."]
    root = press(twilio_post, root, "4")
    assert [el.tag for el in root] == ["Say", "Say", "Say", "Hangup"]
    assert said(root) == ["Thank you for your rating!", "You answered 2 of 3 questions correctly.",
                          "Thank you for learning with Saathi. Goodbye!"]

    answers = db.exec(select(Answer).where(Answer.learner_id == asha.id).order_by(Answer.id)).all()
    assert [(a.choice, a.correct, a.channel) for a in answers] == [(2, True, "voice"), (1, False, "voice"),
                                                                  (1, True, "voice")]
    assert db.exec(select(Feedback).where(Feedback.learner_id == asha.id)).one().rating == 4
    prompts = db.exec(select(Prompt).where(Prompt.learner_id == asha.id).order_by(Prompt.seq)).all()
    # The comment request cannot be keyed in: a voice-only learner skips it.
    assert [(p.kind, p.status) for p in prompts] == [
        ("greeting", "sent"), ("question", "answered"), ("question", "answered"), ("question", "answered"),
        ("rating", "answered"), ("comment", "skipped")]
    call = db.exec(select(VoiceCall).where(VoiceCall.learner_id == asha.id)).one()
    assert call.status == "completed" and call.call_sid == "CAtest"


def test_answers_by_keypad_land_as_the_same_cards_as_answers_by_sms(app, db, clock, held, twilio_post):
    asha, _, sunil = held
    dispatch_once(app=app)
    root = start_call(app, twilio_post, asha)
    for key in ("2", "1", "1"):
        root = press(twilio_post, root, key)
    for body in ("2", "1", "1"):
        receive_sms(db=db, sid="SM" + uuid.uuid4().hex, from_number=sunil.phone, body=body, now=clock.now(), policy=_policy())
        db.commit()

    def record(learner):
        answers = db.exec(select(Answer).where(Answer.learner_id == learner.id).order_by(Answer.item_id)).all()
        cards = db.exec(select(Card).where(Card.learner_id == learner.id).order_by(Card.item_id)).all()
        return ([(a.item_id, a.kind, a.choice, a.correct, a.answered_at) for a in answers],
                [(c.item_id, c.due, c.state, c.reps, c.lapses,
                  {k: v for k, v in c.fsrs.items() if k != "card_id"}) for c in cards])

    by_voice, by_sms = record(asha), record(sunil)
    assert len(by_voice[1]) == 3
    assert by_voice == by_sms
    wrong = [c for c in db.exec(select(Card).where(Card.learner_id == asha.id)).all() if c.lapses]
    assert len(wrong) == 1 and wrong[0].due - clock.now() == timedelta(days=1)


def test_a_replayed_gather_callback_stores_nothing_twice_and_gets_the_same_twiml(app, db, clock, held,
                                                                                 twilio_post):
    asha, _, _ = held
    dispatch_once(app=app)
    root = start_call(app, twilio_post, asha)
    action = gather_of(root).get("action")
    first = twilio_post(action[len(PUBLIC_URL):], {"CallSid": "CAtest", "Digits": "2"})
    again = twilio_post(action[len(PUBLIC_URL):], {"CallSid": "CAtest", "Digits": "2"})
    assert first.status_code == again.status_code == 200
    assert first.data == again.data
    assert len(db.exec(select(Answer)).all()) == 1
    assert len(db.exec(select(Card)).all()) == 1
    pending = db.exec(select(Prompt).where(Prompt.learner_id == asha.id, Prompt.status == "pending")).one()
    assert pending.seq == 2
    # The answer after a replay goes on as if there had been none.
    root = press(twilio_post, twiml(again), "2")
    assert said(root)[0] == "Correct!"
    assert len(db.exec(select(Answer)).all()) == 2
    # A replayed start of the call does not re-open anything either.
    start_call(app, twilio_post, asha)
    assert db.exec(select(Prompt).where(Prompt.learner_id == asha.id, Prompt.status == "pending")).one().seq == 3


def test_a_gather_retried_while_the_first_is_still_handled_stores_one_answer(app, db, clock, held, twilio_post,
                                                                          monkeypatch):
    """Twilio re-posts a Gather it thinks timed out while the first post is still being
    handled: the second waits for the first and gets the same TwiML, not an error that
    would end the learner's call."""
    import threading
    import time

    from app.voice import flow
    from tests.conftest import sign

    asha, _, _ = held
    dispatch_once(app=app)
    path = gather_of(start_call(app, twilio_post, asha)).get("action")[len(PUBLIC_URL):]
    read_choice, slow = flow.read_choice, [True]

    def slow_first(*args, **kwargs):
        if slow and slow.pop():
            time.sleep(1.0)  # the first post is still working when the retry arrives
        return read_choice(*args, **kwargs)

    monkeypatch.setattr(flow, "read_choice", slow_first)
    params, results = {"CallSid": "CAtest", "Digits": "2"}, {}

    def post(name):
        try:
            results[name] = app.test_client().post(
                path, data=params, headers={"X-Twilio-Signature": sign(PUBLIC_URL + path, params)})
        except Exception as exc:  # noqa: BLE001 - the test app re-raises what would be a 500
            results[name] = exc

    first = threading.Thread(target=post, args=("first",))
    first.start()
    time.sleep(0.3)
    post("retry")
    first.join(30)
    assert not [r for r in results.values() if isinstance(r, Exception)], results
    assert results["first"].status_code == results["retry"].status_code == 200
    assert results["first"].data == results["retry"].data
    assert len(db.exec(select(Answer)).all()) == 1


def test_no_key_or_a_wrong_key_repeats_the_question_once_then_moves_on_without_a_penalty(
        app, db, clock, held, twilio_post):
    asha, _, _ = held
    dispatch_once(app=app)
    root = start_call(app, twilio_post, asha)
    root = press(twilio_post, root, "9")  # no such option
    assert said(root)[0] == "Please press a number from 1 to 3."
    assert said(gather_of(root))[0] == "Question 1 of 3."
    assert "try=2" in gather_of(root).get("action")
    root = press(twilio_post, root, None)  # then nothing
    assert said(root)[0] == "We will ask this question again another day."
    assert said(gather_of(root))[0] == "Question 2 of 3."
    root = press(twilio_post, root, None)  # nothing at all, twice
    assert said(root)[0] == "I did not hear a key. Here is the question again."
    root = press(twilio_post, root, "*")
    assert said(gather_of(root))[0] == "Question 3 of 3."
    root = press(twilio_post, root, "1")
    assert said(root)[0] == "Correct!"
    assert db.exec(select(Answer.correct)).all() == [True]  # nothing counted as wrong
    questions = db.exec(select(Prompt).where(Prompt.learner_id == asha.id, Prompt.kind == "question")
                        .order_by(Prompt.seq)).all()
    assert [q.status for q in questions] == ["queued", "queued", "answered"]

    # They come again in a later call (after the gap between calls), with the rating.
    press(twilio_post, root, "5")
    clock.advance(hours=4, minutes=1)
    dispatch_once(app=app)
    later = calls_to(app, asha.phone)
    assert len(later) == 2
    root = post(twilio_post, later[-1]["url"])
    assert said(gather_of(root))[0] == "Question 1 of 3."
    assert "A caller asks" in said(gather_of(root))[1]


def test_hindi_learner_hears_hindi_voice_and_a_deployer_can_change_it(app, db, clock, held, twilio_post):
    _, ravi, _ = held
    dispatch_once(app=app)
    root = start_call(app, twilio_post, ravi)
    assert {(el.get("language"), el.get("voice")) for el in root.iter("Say")} == {("hi-IN", "Polly.Aditi")}
    assert gather_of(root).get("language") == "hi-IN"
    assert "UPI PIN माँगे" in said(gather_of(root))[1]
    db.add(VoiceSetting(language="hi", say_language="hi-IN", voice="Google.hi-IN-Standard-A",
                        speech_language=None))
    db.commit()
    root = press(twilio_post, root, "2")
    assert {el.get("voice") for el in root.iter("Say")} == {"Google.hi-IN-Standard-A"}
    assert gather_of(root).get("input") == "dtmf" and gather_of(root).get("language") is None


def test_a_spoken_answer_counts_where_the_language_listens(app, db, clock, held, twilio_post):
    asha, _, _ = held
    dispatch_once(app=app)
    root = start_call(app, twilio_post, asha)
    action = gather_of(root).get("action")
    root = twiml(twilio_post(action[len(PUBLIC_URL):], {"CallSid": "CAtest", "SpeechResult": "Two.",
                                                        "Confidence": "0.9"}))
    assert said(root)[0] == "Correct!"
    action = gather_of(root).get("action")
    root = twiml(twilio_post(action[len(PUBLIC_URL):], {"CallSid": "CAtest",
                                                        "SpeechResult": "say nothing and hang up"}))
    assert said(root)[0] == "Correct!"
    assert [a.raw for a in db.exec(select(Answer).order_by(Answer.id)).all()] == [
        "Two.", "say nothing and hang up"]


def test_a_call_is_one_capped_contact_inside_the_send_window(app, db, clock, held):
    asha, _, _ = held
    clock.advance(hours=12)  # 21:30 in India
    assert dispatch_once(app=app).plan.planned == 0
    assert calls_to(app, asha.phone) == []
    clock.advance(hours=12)  # 09:30 the next day
    dispatch_once(app=app)
    assert len(calls_to(app, asha.phone)) == 1
    capped = db.exec(select(Outbox).where(Outbox.learner_id == asha.id,
                                          Outbox.purpose.in_(("prompt", "reminder")))).all()
    assert len(capped) == 1


def test_a_call_left_pending_is_never_reminded_by_sms(app, db, clock, held):
    asha, _, _ = held
    dispatch_once(app=app)  # console transport: no status callback will ever come
    clock.advance(hours=5)
    assert dispatch_once(app=app).plan.reminded == 1  # Sunil's SMS reminder, not Asha's
    assert [r.kind for r in db.exec(select(Outbox).where(Outbox.learner_id == asha.id)).all()] == ["call"]
    clock.advance(hours=20)  # past the prompt expiry: the call is given up, the question kept
    dispatch_once(app=app)
    call = db.exec(select(VoiceCall).where(VoiceCall.learner_id == asha.id)).one()
    assert call.status == "expired"
    first = db.exec(select(Prompt).where(Prompt.learner_id == asha.id, Prompt.seq == 1)).one()
    assert first.status == "queued"
    assert db.exec(select(Answer)).all() == []


def test_forged_signature_is_refused(app, db, clock, held, twilio_post, client):
    asha, _, _ = held
    dispatch_once(app=app)
    (call,) = calls_to(app, asha.phone)
    path = call["url"][len(PUBLIC_URL):]
    assert client.post(path, data={"CallSid": "CAx"}).status_code == 403
    assert twilio_post(path, {"CallSid": "CAx"}, signature="Zm9yZ2Vk").status_code == 403
    for other in ("/twilio/voice/answer?call=x&prompt=1&try=1", "/twilio/voice/incoming", "/twilio/call-status"):
        assert client.post(other, data={"CallSid": "CAx"}).status_code == 403
    assert db.exec(select(VoiceCall).where(VoiceCall.learner_id == asha.id)).one().status == "planned"


def test_an_unknown_call_token_gets_a_goodbye_not_an_error(app, db, twilio_post):
    root = twiml(twilio_post("/twilio/voice?call=nosuchcall", {"CallSid": "CAx"}))
    assert [el.tag for el in root] == ["Say", "Hangup"]


def test_a_recorded_question_is_played_and_served(app, db, clock, tmp_path, twilio_post, held):
    asha, ravi, _ = held
    pack_dir = tmp_path / "content" / "digital-banking"
    (pack_dir / "audio").mkdir(parents=True)
    (pack_dir / "audio" / "pin-hi.mp3").write_bytes(b"ID3 fake mp3")
    app.config["CONTENT_DIR"] = str(tmp_path / "content")
    items = db.exec(select(Item).order_by(Item.position)).all()
    items[0].audio = {"hi": "audio/pin-hi.mp3", "en": "audio/missing.mp3"}
    items[1].audio = {"hi": "../../../etc/passwd"}
    db.add_all(items[:2])
    db.commit()
    dispatch_once(app=app)
    root = start_call(app, twilio_post, ravi)
    plays = [el.text for el in gather_of(root).iter("Play")]
    assert plays == [f"{PUBLIC_URL}/twilio/voice/audio/{items[0].id}/hi"]
    got = app.test_client().get(plays[0][len(PUBLIC_URL):])  # Twilio fetches media unsigned
    assert got.status_code == 200 and got.data == b"ID3 fake mp3"
    assert app.test_client().get(f"/twilio/voice/audio/{items[1].id}/hi").status_code == 404
    assert app.test_client().get(f"/twilio/voice/audio/{items[0].id}/en").status_code == 404
    # No English file: the question is read. A path leading out of the pack is never used.
    root = start_call(app, twilio_post, asha)
    assert not list(gather_of(root).iter("Play"))
    root = press(twilio_post, start_call(app, twilio_post, ravi), "2")
    assert said(gather_of(root))[0] == say("hi", "Question {number} of {total}.", number=2, total=3) == "सवाल 2, 3 में से।"
    assert not list(gather_of(root).iter("Play"))


def test_one_call_carries_at_most_five_questions_and_the_rest_come_in_the_next(app, db, clock, twilio_post):
    from tests.factories import QUESTIONS

    many = [(f"{slug}-{n}", *rest) for n in range(3) for slug, *rest in QUESTIONS][:7]
    module = make_module(db, questions=many)
    asha = make_learners(db, clock.now(), VOICE_LEARNERS)[0]
    complete_session(db=db, cohort=cohort(db), module=module, held_at=clock.now(), now=clock.now())
    db.commit()
    dispatch_once(app=app)
    root = start_call(app, twilio_post, asha)
    asked = []
    while root.find("Gather") is not None:
        asked.append(said(gather_of(root))[0])
        root = press(twilio_post, root, "1")
    assert asked == [f"Question {n} of 7." for n in range(1, 6)]
    clock.advance(hours=4, minutes=1)
    dispatch_once(app=app)
    root = post(twilio_post, calls_to(app, asha.phone)[-1]["url"])
    assert "Thank you for today's session" not in said(root)[0]  # the greeting was the first call's
    asked = []
    while root.find("Gather") is not None:
        asked.append(said(gather_of(root))[0])
        root = press(twilio_post, root, "3")
    assert asked == ["Question 6 of 7.", "Question 7 of 7.",
                     "How useful was today's session? Press a number from 1 to 5. 5 means very useful."]
    assert len(db.exec(select(Answer).where(Answer.learner_id == asha.id)).all()) == 7


def test_a_keyed_answer_uses_the_packs_weights_read_with_its_item(app, db, clock, held, twilio_post):
    """As by SMS (tests/test_fitting.py): the pack's fitted weights schedule the card, and
    they come with the item the key is read against, not in a read of their own."""
    from tests.factories import fit_pack_for_a_short_first_stability
    from tests.test_answer_cost import counted

    asha, _, _ = held
    fit_pack_for_a_short_first_stability(db)
    dispatch_once(app=app)
    root = start_call(app, twilio_post, asha)
    with counted(app.extensions["saathi.engine"]) as seen:
        root = press(twilio_post, root, "2")
    assert said(root)[0] == "Correct!"
    weights_read = [s for s in seen if "memory_parameters" in s]
    assert len(weights_read) == 1 and " FROM item " in weights_read[0], weights_read
    # Items read: the one answered (with its weights) and the next question's.
    assert len([s for s in seen if " FROM item " in s or " JOIN item " in s]) == 2, "\n".join(seen)
    db.expire_all()
    card = db.exec(select(Card).where(Card.learner_id == asha.id)).one()
    assert card.reps == 1 and card.fsrs["stability"] == pytest.approx(0.05)

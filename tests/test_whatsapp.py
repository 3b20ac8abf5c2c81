"""WhatsApp end to end: the real twilio client, the fake Twilio enforcing Meta's rules, the
app over HTTP. Outside the 24-hour window only an approved template goes; the learner's
reply opens the window and the question follows with buttons; a tap is graded like a
typed answer; stale and never-offered taps, 63016 and unknown content are survived."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
import requests
from sqlmodel import select

from app.db import session_scope
from app.learning.sessions import complete_session
from app.models import Answer, Learner, Outbox, Pack, Prompt
from app.scheduling.dispatcher import dispatch_once
from tests.conftest import sign
from tests.factories import callbacks_applied, cohort, make_module

NUMBER = "+919820000011"
CSV = f"""phone,name,site,language,cohort,channel
{NUMBER},Asha Devi,Andheri Mall,en,andheri-march,whatsapp
"""
SESSION = {"quick-reply-3": "HX" + "a" * 32, "list-5": "HX" + "b" * 32}
POST_SESSION = "HX" + "c" * 32
OPENER = "HX" + "d" * 32
TEMPLATES = {"whatsapp": {
    "post_session": {"en": {"name": "saathi_post_session_en", "content_sid": POST_SESSION,
                            "body": "Hello {{1}}, your questions on {{2}} are ready. Reply to start.",
                            "variables": {"1": "name", "2": "module"}}},
    "opener": {"en": {"name": "saathi_review_en", "content_sid": OPENER,
                      "body": "Hello {{1}}, a question on {{2}} is waiting. Reply to get it.",
                      "variables": {"1": "name", "2": "module"}}}}}


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WHATSAPP_FROM": "whatsapp:+15005550006",
            "WHATSAPP_CONTENT": ",".join(f"{k}={v}" for k, v in SESSION.items())}


@pytest.fixture
def wa(live_app, fake_twilio, clock, tmp_path):
    """A WhatsApp learner whose session was just held; the fake knows Saathi's content."""
    fake_twilio.contents.update({SESSION["quick-reply-3"]: {"approved": False, "buttons": 3},
                                 SESSION["list-5"]: {"approved": False, "buttons": 5, "type": "list-picker"},
                                 POST_SESSION: {"approved": True, "body": TEMPLATES["whatsapp"]["post_session"]["en"]["body"]},
                                 OPENER: {"approved": True, "body": TEMPLATES["whatsapp"]["opener"]["en"]["body"]}})
    runner = live_app.test_cli_runner()
    assert runner.invoke(args=["sites", "add", "Andheri Mall", "--country", "IN"]).exit_code == 0
    (tmp_path / "wa.csv").write_text(CSV)
    result = runner.invoke(args=["learners", "import", str(tmp_path / "wa.csv")])
    assert result.exit_code == 0, result.output
    with live_app.app_context(), session_scope(live_app) as db:
        module = make_module(db)
        db.get(Pack, module.pack_id).templates = TEMPLATES
        complete_session(db=db, cohort=cohort(db), module=module, held_at=clock.now(), now=clock.now())
    return live_app


def sent_to(fake) -> list[dict]:
    return [m for m in fake.messages if m["to"] == "whatsapp:" + NUMBER]


def reply(app, fake, **kwargs) -> dict:
    return fake.whatsapp_reply(NUMBER, url=app.config["PUBLIC_URL"] + "/twilio/whatsapp", **kwargs)


def rows(app) -> list[Outbox]:
    with app.app_context(), session_scope(app) as db:
        return list(db.exec(select(Outbox).where(Outbox.to_number == NUMBER).order_by(Outbox.id)).all())


def answers(app) -> list[bool]:
    with app.app_context(), session_scope(app) as db:
        return [a.correct for a in db.exec(select(Answer).order_by(Answer.id)).all()]


def test_template_outside_the_window_then_buttons_graded_like_typed_answers(wa, fake_twilio):
    dispatch_once(app=wa)
    first = sent_to(fake_twilio)
    assert len(first) == 1 and first[0]["_params"]["ContentSid"] == POST_SESSION
    assert json.loads(first[0]["_params"]["ContentVariables"]) == {"1": "Asha", "2": "UPI safety"}
    assert first[0]["body"] == "Hello Asha, your questions on UPI safety are ready. Reply to start."
    with wa.app_context(), session_scope(wa) as db:  # kept as sent: a lost answer is found, not resent
        assert db.exec(select(Outbox.body).where(Outbox.purpose == "opener")).one() == first[0]["body"]
    assert fake_twilio.wait_for_callbacks()

    reply(wa, fake_twilio, body="Hi")  # opens the window: the question itself now, with buttons
    assert answers(wa) == []  # the reply to a template is not an answer
    dispatch_once(app=wa)
    question = sent_to(fake_twilio)[-1]
    assert question["_params"]["ContentSid"] == SESSION["quick-reply-3"]
    variables = json.loads(question["_params"]["ContentVariables"])
    assert variables["1"].startswith("Q1/3") and variables["4"] == "2. Refuse and hang…"

    reply(wa, fake_twilio, tap=2)  # the right answer, by tapping
    assert answers(wa) == [True]
    dispatch_once(app=wa)
    second = sent_to(fake_twilio)[-1]
    assert "Correct!" in second["body"] and "Q2/3" in second["body"]
    assert second["_params"]["ContentSid"] == SESSION["quick-reply-3"]

    typed = reply(wa, fake_twilio, body="3")  # a typed answer on WhatsApp grades the same
    assert typed["MessageType"] == "text" and answers(wa) == [True, False]
    dispatch_once(app=wa)
    callbacks_applied(wa, fake_twilio)
    statuses = {r.status for r in rows(wa) if r.kind == "whatsapp"}
    assert statuses == {"read"}  # the fake reports delivered, then read


def test_stale_and_never_offered_taps_are_not_graded_against_the_wrong_question(wa, fake_twilio):
    dispatch_once(app=wa)
    reply(wa, fake_twilio, body="Hi")
    dispatch_once(app=wa)
    stale = reply(wa, fake_twilio, tap=1)  # answers Q1 (wrong)
    assert answers(wa) == [False]
    dispatch_once(app=wa)
    # The same tap again (Q1's button, Twilio retrying is a new MessageSid): Q1 has moved on.
    again = dict(stale, MessageSid=stale["MessageSid"][:-4] + "beef")
    url = wa.config["PUBLIC_URL"] + "/twilio/whatsapp"
    assert requests.post(url, data=again, headers={"X-Twilio-Signature": sign(url, again)}, timeout=5).ok
    assert answers(wa) == [False]  # not graded as an answer to Q2
    dispatch_once(app=wa)
    assert "Q2/3" in sent_to(fake_twilio)[-1]["body"]  # Q2 put again instead
    with wa.app_context(), session_scope(wa) as db:
        pending = db.exec(select(Prompt).where(Prompt.status == "pending")).one()
    forged = dict(again, MessageSid="SM" + "f" * 32, ButtonPayload=f"p{pending.id}.9", ButtonText="9. Free money",
                  Body="9. Free money")  # a button Saathi never offered
    assert requests.post(url, data=forged, headers={"X-Twilio-Signature": sign(url, forged)}, timeout=5).ok
    assert answers(wa) == [False]
    dispatch_once(app=wa)
    assert "number from 1 to 3" in sent_to(fake_twilio)[-1]["body"]


def test_63016_sends_the_template_instead_once(wa, fake_twilio, clock):
    """Saathi thinks the window is open, WhatsApp knows better: the question's row fails with
    63016, and the opener template carries it instead; nothing twice, nothing lost."""
    dispatch_once(app=wa)
    reply(wa, fake_twilio, body="Hi")
    fake_twilio.whatsapp_open.discard(NUMBER)  # the window closed at Meta's end
    dispatch_once(app=wa)
    assert fake_twilio.wait_for_callbacks()
    dispatch_once(app=wa)
    kinds = [(r.purpose, r.status, r.error_code) for r in rows(wa)]
    assert ("reply", "failed", 63016) in kinds
    last = sent_to(fake_twilio)[-1]
    assert last["_params"]["ContentSid"] == POST_SESSION  # a session question: its template
    with wa.app_context(), session_scope(wa) as db:
        learner = db.exec(select(Learner).where(Learner.phone == NUMBER)).one()
        assert learner.whatsapp_open_until is None
        assert db.exec(select(Prompt).where(Prompt.status == "pending")).one()  # still waiting


def test_no_template_falls_back_to_sms_and_a_reply_after_the_window_closed(wa, fake_twilio, clock):
    with wa.app_context(), session_scope(wa) as db:
        db.exec(select(Pack)).one().templates = {}
    dispatch_once(app=wa)
    sms = [m for m in fake_twilio.messages if m["to"] == NUMBER]
    assert len(sms) == 1 and "Q1/3" in sms[0]["body"] and sent_to(fake_twilio) == []
    # Two days later the learner writes on WhatsApp: the window opens again, graded as usual.
    clock.advance(days=2)
    reply(wa, fake_twilio, body="2")
    assert answers(wa) == [True]
    with wa.app_context(), session_scope(wa) as db:
        learner = db.exec(select(Learner).where(Learner.phone == NUMBER)).one()
        assert learner.whatsapp_open_until == clock.now() + timedelta(hours=24)
    dispatch_once(app=wa)  # the answer's reply and Q2 go on WhatsApp now, with buttons
    assert "Correct!" in sent_to(fake_twilio)[-1]["body"]


def post(app, params: dict, signature: str | None = None) -> requests.Response:
    url = app.config["PUBLIC_URL"] + "/twilio/whatsapp"
    return requests.post(url, data=params, headers={"X-Twilio-Signature": signature or sign(url, params)}, timeout=5)


def test_the_webhook_is_signed_and_idempotent(wa, fake_twilio):
    dispatch_once(app=wa)
    reply(wa, fake_twilio, body="Hi")
    dispatch_once(app=wa)
    tap = reply(wa, fake_twilio, tap=2)
    assert post(wa, tap).ok  # Twilio retries the same MessageSid: nothing happens twice
    assert answers(wa) == [True]
    assert post(wa, dict(tap, MessageSid="SM" + "9" * 32), signature="forged").status_code == 403
    assert answers(wa) == [True]
    with wa.app_context(), session_scope(wa) as db:
        from app.models import Inbound

        assert len(db.exec(select(Inbound).where(Inbound.from_number == NUMBER)).all()) == 2


def test_63016_without_a_template_falls_back_to_sms_once(wa, fake_twilio):
    dispatch_once(app=wa)
    reply(wa, fake_twilio, body="Hi")
    with wa.app_context(), session_scope(wa) as db:
        db.exec(select(Pack)).one().templates = {}
    fake_twilio.whatsapp_open.discard(NUMBER)
    dispatch_once(app=wa)
    assert fake_twilio.wait_for_callbacks()
    dispatch_once(app=wa)
    assert fake_twilio.wait_for_callbacks()
    sms = [m["body"] for m in fake_twilio.messages if m["to"] == NUMBER]
    assert len(sms) == 1 and "Q1/3" in sms[0]
    with wa.app_context(), session_scope(wa) as db:
        pending = db.exec(select(Prompt).where(Prompt.status == "pending")).one()
        assert pending.channel == "sms"  # answered, and reminded, by SMS now
    dispatch_once(app=wa)
    assert len([m for m in fake_twilio.messages if m["to"] == NUMBER]) == 1  # and only once


def test_without_template_or_sms_fallback_nothing_goes_and_the_learner_waits(wa, fake_twilio, clock):
    from app.channels.whatsapp import WhatsAppOptions

    wa.extensions["saathi.whatsapp"] = WhatsAppOptions(sender="whatsapp:+15005550006", content=SESSION,
                                                       sms_fallback=False)
    with wa.app_context(), session_scope(wa) as db:
        db.exec(select(Pack)).one().templates = {}
    dispatch_once(app=wa)
    assert fake_twilio.messages == []
    with wa.app_context(), session_scope(wa) as db:
        learner = db.exec(select(Learner).where(Learner.phone == NUMBER)).one()
        assert learner.next_contact_at == clock.now() + timedelta(days=1)
        assert db.exec(select(Prompt).where(Prompt.status == "pending")).first() is None
    reply(wa, fake_twilio, body="Hello")  # the learner writes: the window opens, the quiz goes at once
    dispatch_once(app=wa)
    # (with the engine's answer to "Hello", sent at the same time: in either order)
    assert [m["_params"].get("ContentSid") for m in sent_to(fake_twilio)].count(SESSION["quick-reply-3"]) == 1


def test_the_fake_refuses_unknown_content_and_free_form_outside_the_window(fake_twilio):
    from twilio.base.exceptions import TwilioRestException

    client = fake_twilio.client()
    with pytest.raises(TwilioRestException) as refused:
        client.messages.create(to="whatsapp:" + NUMBER, from_="whatsapp:+15005550006", content_sid="HX" + "0" * 32)
    assert refused.value.code == 21655
    message = client.messages.create(to="whatsapp:" + NUMBER, from_="whatsapp:+15005550006", body="Hello")
    assert fake_twilio.wait_for_callbacks()
    assert fake_twilio.message(message.sid)["error_code"] == 63016


def test_whatsapp_prices_per_country_charge_templates_and_the_provider_fee():
    from app.reports.costs import price_table

    table = price_table({})
    # A session: one post-session template, then eleven free messages inside the window.
    assert table["IN"].whatsapp(templates=1, messages=12) == pytest.approx(0.12 + 12 * 0.42)
    assert all(p.whatsapp_template > 0 and p.whatsapp_message > 0 for p in table.values())


def test_a_whole_session_by_taps_the_rating_from_a_list_picker(wa, fake_twilio):
    dispatch_once(app=wa)
    reply(wa, fake_twilio, body="Hi")
    for tap in (2, 2, 1):  # the three questions, right each time
        dispatch_once(app=wa)
        reply(wa, fake_twilio, tap=tap)
    assert answers(wa) == [True, True, True]
    dispatch_once(app=wa)
    rating = sent_to(fake_twilio)[-1]
    assert rating["_params"]["ContentSid"] == SESSION["list-5"]
    assert json.loads(rating["_params"]["ContentVariables"])["10"] == "5. 5"
    reply(wa, fake_twilio, tap=5)
    with wa.app_context(), session_scope(wa) as db:
        from app.models import Feedback

        assert db.exec(select(Feedback.rating)).one() == 5
    # A quick reply of four buttons in a session is refused by WhatsApp (the fake too).
    fake_twilio.contents["HX" + "e" * 32] = {"approved": False, "buttons": 4}
    with pytest.raises(Exception) as refused:
        fake_twilio.client().messages.create(to="whatsapp:" + NUMBER, from_="whatsapp:+15005550006",
                                             content_sid="HX" + "e" * 32)
    assert getattr(refused.value, "code", None) == 21655

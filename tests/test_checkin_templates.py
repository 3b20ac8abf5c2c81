"""A check-in's and a milestone question's own WhatsApp templates, outside the 24-hour window.

A pack that names an approved ``checkin`` (or ``milestone``) template opens the question with
it, its variables filled (the months since graduating, the milestone's title); one that names
none, or only one not yet approved, opens it with its ``opener`` as before. Against the fake
Twilio, which refuses anything but an approved template outside the window.
"""
from __future__ import annotations

import copy
import json

import pytest
from sqlmodel import select

from app.db import session_scope
from app.journeys import milestones
from app.models import Learner, Outbox, Prompt
from app.scheduling.dispatcher import dispatch_once
from tests.test_checkin_channels import LIST4, NUMBER, graduate
from tests.test_whatsapp import OPENER, SESSION, TEMPLATES

CHECKIN = "HX" + "1" * 32
MILESTONE = "HX" + "2" * 32
CHECKIN_BODY = "Hello {{1}}, it is {{2}} months since your training. Reply to tell us how you are doing."
MILESTONE_BODY = "Hello {{1}}, a question about {{2}} from your training. Reply to get it."


@pytest.fixture
def app_config(app_config):
    content = {**SESSION, "list-4": LIST4}
    return {**app_config, "WHATSAPP_FROM": "whatsapp:+15005550006",
            "WHATSAPP_CONTENT": ",".join(f"{k}={v}" for k, v in content.items())}


def templates(checkin_sid: str | None = CHECKIN, milestone_sid: str | None = MILESTONE) -> dict:
    own = copy.deepcopy(TEMPLATES)
    own["whatsapp"]["checkin"] = {"en": {"name": "saathi_checkin_en", "body": CHECKIN_BODY,
                                         "variables": {"1": "name", "2": "months"},
                                         **({"content_sid": checkin_sid} if checkin_sid else {})}}
    own["whatsapp"]["milestone"] = {"en": {"name": "saathi_milestone_en", "body": MILESTONE_BODY,
                                           "variables": {"1": "name", "2": "milestone"},
                                           **({"content_sid": milestone_sid} if milestone_sid else {})}}
    return own


def approve(fake_twilio):
    fake_twilio.contents.update({LIST4: {"approved": False, "buttons": 4, "type": "list-picker"},
                                 OPENER: {"approved": True, "body": TEMPLATES["whatsapp"]["opener"]["en"]["body"]},
                                 CHECKIN: {"approved": True, "body": CHECKIN_BODY},
                                 MILESTONE: {"approved": True, "body": MILESTONE_BODY}})


def sent_to(fake_twilio) -> list[dict]:
    return [m for m in fake_twilio.messages if m["to"] == "whatsapp:" + NUMBER]


def test_a_checkin_outside_the_window_opens_with_its_own_template(live_app, fake_twilio, clock):
    approve(fake_twilio)
    graduate(live_app, clock, templates())
    dispatch_once(app=live_app)
    (sent,) = sent_to(fake_twilio)
    assert sent["_params"]["ContentSid"] == CHECKIN
    assert json.loads(sent["_params"]["ContentVariables"]) == {"1": "Asha", "2": "3"}
    assert sent["status"] != "failed"
    with live_app.app_context(), session_scope(live_app) as db:
        row = db.exec(select(Outbox).where(Outbox.content_sid == CHECKIN)).one()
        assert row.purpose == "opener"
        assert row.body == "Hello Asha, it is 3 months since your training. Reply to tell us how you are doing."
    # the learner answers the template: the window opens, the question itself follows with its buttons
    fake_twilio.whatsapp_reply(NUMBER, body="Hi", url=live_app.config["PUBLIC_URL"] + "/twilio/whatsapp")
    dispatch_once(app=live_app)
    question = sent_to(fake_twilio)[-1]
    assert question["_params"]["ContentSid"] == LIST4
    assert json.loads(question["_params"]["ContentVariables"])["1"].startswith("Are you working now?")


@pytest.mark.parametrize("checkin_sid", [None, "absent"])
def test_without_an_approved_checkin_template_the_opener_goes_as_before(live_app, fake_twilio, clock, checkin_sid):
    approve(fake_twilio)
    pack_templates = templates(checkin_sid=None)  # named, not approved yet
    if checkin_sid == "absent":
        pack_templates = TEMPLATES  # not named at all
    graduate(live_app, clock, pack_templates)
    dispatch_once(app=live_app)
    (sent,) = sent_to(fake_twilio)
    assert sent["_params"]["ContentSid"] == OPENER
    assert json.loads(sent["_params"]["ContentVariables"])["1"] == "Asha"


def test_a_milestone_question_outside_the_window_names_the_milestone(live_app, fake_twilio, clock):
    approve(fake_twilio)
    graduate(live_app, clock, templates())
    with live_app.app_context(), session_scope(live_app) as db:
        for prompt in db.exec(select(Prompt).where(Prompt.kind == "checkin")).all():
            prompt.status = "cancelled"  # only the milestone question is asked
        asha = db.exec(select(Learner).where(Learner.phone == NUMBER)).one()
        milestones.ask(db, learner=asha, key="bank", now=clock.now())
    dispatch_once(app=live_app)
    (sent,) = sent_to(fake_twilio)
    assert sent["_params"]["ContentSid"] == MILESTONE
    assert json.loads(sent["_params"]["ContentVariables"]) == {"1": "Asha", "2": "Bank account opened and used"}

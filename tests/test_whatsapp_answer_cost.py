"""What one inbound WhatsApp answer costs the database: the SMS budget (test_answer_cost.py).

Each test posts one signed ``POST /twilio/whatsapp`` and counts every statement the app's
engine sends while it is handled. WhatsApp adds to an SMS answer the window (the learner
row is locked and written anyway) and a look at whether the pending question was shown or
only its template; the replies go as queued WhatsApp rows, not as TwiML.
"""
from __future__ import annotations

import uuid

import pytest
from sqlmodel import select

from app.models import Answer, Outbox, Pack, Prompt
from app.scheduling.dispatcher import dispatch_once
from tests.factories import held_session
from tests.test_answer_cost import counted, show
from tests.test_whatsapp import SESSION, TEMPLATES

BUDGET = 8  # as for an SMS answer

CSV = """phone,name,site,language,cohort,channel
+919876543210,Asha Devi,Andheri Mall,en,andheri-march,whatsapp
"""


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WHATSAPP_FROM": "whatsapp:+15005550006",
            "WHATSAPP_CONTENT": ",".join(f"{k}={v}" for k, v in SESSION.items())}


def form(phone: str, body: str | None = None, payload: str | None = None) -> dict:
    sid = "SM" + uuid.uuid4().hex
    params = {"MessageSid": sid, "SmsSid": sid, "AccountSid": "AC" + "0" * 32, "From": "whatsapp:" + phone,
              "To": "whatsapp:+15005550006", "Body": body or "", "MessageType": "text"}
    if payload:
        params.update(ButtonPayload=payload, ButtonText=body or "", MessageType="button")
    return params


def post_counted(app, twilio_post, params) -> list[str]:
    with counted(app.extensions["saathi.engine"]) as seen:
        response = twilio_post("/twilio/whatsapp", params)
    assert response.status_code == 200, response.data
    print(f"{params['Body']!r}: {len(seen)} statements\n{show(seen)}")  # shown with pytest -s
    return seen


@pytest.fixture
def asha(app, db, clock, twilio_post):
    """Asha on WhatsApp: the post-session template went, she replied, Q1 is shown."""
    learner, = held_session(db, clock.now(), CSV)
    pack = db.exec(select(Pack)).one()
    pack.templates = TEMPLATES
    db.add(pack)
    db.commit()
    dispatch_once(app=app)
    assert db.exec(select(Outbox.purpose)).all() == ["opener"]
    seen = post_counted(app, twilio_post, form(learner.phone, "Hi"))  # opens the window
    assert len(seen) <= BUDGET, show(seen)
    assert db.exec(select(Answer)).all() == []  # the reply to a template is not an answer
    dispatch_once(app=app)
    return learner


def test_a_whatsapp_answer_with_the_next_question_costs_at_most_the_budget(app, db, asha, twilio_post):
    pending = db.exec(select(Prompt).where(Prompt.learner_id == asha.id, Prompt.status == "pending")).one()
    seen = post_counted(app, twilio_post, form(asha.phone, "2. Refuse", payload=f"p{pending.id}.2"))
    assert len(seen) <= BUDGET, show(seen)
    assert db.exec(select(Answer.correct).where(Answer.learner_id == asha.id)).all() == [True]
    reply = db.exec(select(Outbox).where(Outbox.purpose == "reply").order_by(Outbox.id.desc())).first()
    assert reply.kind == "whatsapp" and "Correct!" in reply.body and "Q2/3" in reply.body


def test_a_wrong_answer_whose_verdict_and_next_question_go_apart_costs_one_more(app, db, asha, twilio_post):
    """The verdict (with the explanation) and Q2 do not fit one SMS's segments, so they go as two
    messages (``engine._then_next``); as WhatsApp rows they are two INSERTs, not one: the
    question's row has buttons (``content_sid``) and the verdict's has none, and on SQLite
    SQLAlchemy batches only rows with the same columns set: 9 statements there, one over the
    budget. PostgreSQL writes both in one INSERT (and sees no BEGIN): within the budget."""
    seen = post_counted(app, twilio_post, form(asha.phone, "3"))
    sqlite = app.extensions["saathi.engine"].dialect.name == "sqlite"
    assert len(seen) <= BUDGET + sqlite, show(seen)
    assert sum(s.startswith("INSERT INTO outbox") for s in seen) == 1 + sqlite
    assert db.exec(select(Answer.correct).where(Answer.learner_id == asha.id)).all() == [False]


def test_a_stale_tap_costs_at_most_the_budget_and_grades_nothing(app, db, asha, twilio_post):
    seen = post_counted(app, twilio_post, form(asha.phone, "1. Share", payload="p999999.1"))
    assert len(seen) <= BUDGET, show(seen)
    assert db.exec(select(Answer)).all() == []

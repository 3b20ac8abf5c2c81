"""Whole conversations, generated: many steps against one database, checked after each.

A hypothesis state machine plays four learners (two by SMS, one by voice, one both) and
Twilio against a fresh database per example. Its steps: a trainer marks a session as held,
the worker runs a dispatch pass, time passes, a learner texts (an answer, a keyword, STOP
or START in any language, any Unicode; sometimes Twilio retries an earlier MessageSid),
a status callback arrives for a message we sent, a call is answered and keys are pressed
(or none), a call ends busy or unanswered, a learner rings the number. Every post is
signed as Twilio signs it, so the handlers really run.

After every step (tests/hardening/invariants.py): at most one pending prompt per learner,
each MessageSid stored once, every answer on a question prompt of its own learner, nothing
queued for or sent to an opted-out learner; and here, at the phone: no message or call
reached a number that had opted out, a retried MessageSid got the very same reply, every
answer was valid TwiML, and nothing answered 5xx (the test client re-raises).
"""
from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from itertools import count
from typing import ClassVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlmodel import Session, select

from app import create_app
from app.clock import FrozenClock
from app.db import make_engine
from app.learning.policy import current_policy
from app.learning.sessions import SessionError, complete_session
from app.messaging.transport import get_transport
from app.models import Learner, Outbox
from app.scheduling.dispatcher import dispatch_once
from tests.conftest import PUBLIC_URL, START, empty_database, sign
from tests.contract import twiml_schema
from tests.factories import cohort, make_learners, make_module
from tests.hardening.fuzz import examples, tally
from tests.hardening.invariants import assert_store_sound, woken_in_time

LEARNERS = """phone,name,site,language,cohort,channel
+919876543210,Asha Devi,Andheri Mall,en,andheri-march,sms
+919876543211,Ravi Kumar,Andheri Mall,hi,andheri-march,sms
+919876543212,Meena Rao,Andheri Mall,hi,andheri-march,voice
+919876543213,Sunil Das,Andheri Mall,nb,andheri-march,both
"""
PHONES = ["+919876543210", "+919876543211", "+919876543212", "+919876543213"]
STEPS = 40
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=200)
# Most texts are what learners send (a number in some script, an option's words, a comment);
# then commands (STOP and START among them) and anything at all.
ANSWERS = st.sampled_from(["1", "2", "3", "4", "5", "२", "३", "٢", " B. ", "(2)", "payee name",
                           "Refuse and hang up", "0", "skip", "नहीं", "Very useful", "bra kurs", ""])
COMMANDS = st.sampled_from(["STOP", "stop", "रुको", "STOPP", "START", "start", "शुरू", "HELP", "QUIZ", "SCORE",
                            "LANG hi", "LANG nl", "LANG xx", "भाषा en", "HJELP", "QUIZ!"])
REPLIES = st.one_of(ANSWERS, COMMANDS, TEXT)
SMS_STATUSES = st.sampled_from(["queued", "sent", "delivered", "undelivered", "failed", "read"])
SMS_CODES = st.sampled_from([None, "30003", "30005", "30006", "21610", "21211", "", "²"])
CALL_STATUSES = st.sampled_from(["completed", "busy", "no-answer", "failed", "canceled", "in-progress"])
KEYS = st.one_of(st.none(), st.sampled_from(["1", "2", "3", "4", "5", "9", "0", "#", "*", "12", ""]))


class Conversation(RuleBasedStateMachine):
    """One deployment's day-to-day, driven by hypothesis; ``env`` says where its database is."""

    env: ClassVar[dict] = {}

    def __init__(self):
        super().__init__()
        env = self.env
        self.clock = FrozenClock(START)
        self.path = env["path"]()
        # One sending thread: hypothesis replays an example to shrink it, and threads finishing
        # in another order would make the replay differ (concurrency has its own tests).
        self.app = create_app({**env["config"], "CLOCK": self.clock, "DELIVERY_THREADS": 1,
                               "DATABASE_URL": empty_database(env["migrated"], self.path)})
        self.client = self.app.test_client()
        self.engine = make_engine(self.app.config["DATABASE_URL"], sqlite_immediate=False)
        # In the order they happened (SIDs are random: sorting them would make the draws differ
        # between a run and its replay).
        self.sids = {}       # MessageSid -> (params, reply) as first answered
        self.calls = {}      # call SID -> the next (url, params) Twilio would post, or None when over
        self.seen = 0        # transport sends already checked
        self.opted_out: set[str] = set()

    def teardown(self):
        self.engine.dispose()
        self.app.extensions["saathi.engine"].dispose()
        self.path.unlink(missing_ok=True)  # hundreds of examples in a long run

    # -- helpers --------------------------------------------------------------------------
    def db(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def post(self, url: str, params: dict):
        path = url.removeprefix(PUBLIC_URL)
        response = self.client.post(path, data=params,
                                    headers={"X-Twilio-Signature": sign(PUBLIC_URL + path, params)})
        assert response.status_code < 500, (response.status_code, path, params)
        if response.status_code == 200 and response.mimetype.endswith("xml"):
            kind = "messaging" if path.startswith("/twilio/sms") else "voice"
            twiml_schema.assert_valid(response, kind=kind)
        return response

    def sent(self) -> list[dict]:
        return get_transport(self.app).sent

    # -- steps ----------------------------------------------------------------------------
    @initialize()
    def quiz_sent(self):
        """The cohort sat a session and the first prompts went out: every example starts
        where the conversation does."""
        with self.app.app_context(), self.db() as db:
            make_learners(db, self.clock.now(), LEARNERS)
            complete_session(db=db, cohort=cohort(db), module=make_module(db), held_at=self.clock.now(),
                             now=self.clock.now())
            db.commit()
            dispatch_once(app=self.app)

    @rule()
    def session_held(self):
        tally("conversation")
        with self.app.app_context(), self.db() as db:
            from app.models import Module

            module = db.exec(select(Module)).first()
            try:
                complete_session(db=db, cohort=cohort(db), module=module, held_at=self.clock.now(),
                                 now=self.clock.now())
            except SessionError:
                return  # the same session at the same time: refused, nothing queued
            db.commit()

    @rule()
    def dispatch_pass(self):
        tally("conversation")
        with self.app.app_context():
            dispatch_once(app=self.app)

    @rule(delta=st.sampled_from([{"minutes": 1}, {"minutes": 30}, {"hours": 3}, {"hours": 13}, {"days": 1},
                                 {"days": 3}]))
    def time_passes(self, delta):
        tally("conversation")
        self.clock.advance(**delta)

    @rule(phone=st.sampled_from(PHONES[:2] + PHONES[3:]), bodies=st.lists(ANSWERS, min_size=1, max_size=6))
    def learner_answers(self, phone, bodies):
        """A few replies in a row, as a learner working through the quiz sends them."""
        for body in bodies:
            self.learner_texts(phone, body)

    @rule(phone=st.sampled_from(PHONES + ["+15550000000"]), body=REPLIES)
    def learner_texts(self, phone, body):
        tally("conversation")
        sid = "SM" + uuid.uuid4().hex
        params = {"MessageSid": sid, "From": phone, "To": "+15005550006", "Body": body}
        was_out = phone in self.opted_out
        response = self.post("/twilio/sms", params)
        assert response.status_code == 200, response.status_code
        self.sids[sid] = (params, response.data)
        if was_out and self._status(phone) == "opted_out":
            assert b"<Message" not in response.data, ("an opted-out learner got an answer", body, response.data)

    @precondition(lambda self: self.sids)
    @rule(data=st.data())
    def twilio_retries_a_text(self, data):
        tally("conversation")
        sid = data.draw(st.sampled_from(list(self.sids)), label="sid")
        params, reply = self.sids[sid]
        assert self.post("/twilio/sms", params).data == reply, "a retried MessageSid got a different reply"

    @rule(status=SMS_STATUSES, code=SMS_CODES, data=st.data())
    def status_callback(self, status, code, data):
        tally("conversation")
        with self.db() as db:
            sids = db.exec(select(Outbox.sid).where(Outbox.kind == "sms", Outbox.sid.is_not(None))
                           .order_by(Outbox.id)).all()
        sid = data.draw(st.sampled_from(sids), label="sid") if sids else "SM" + uuid.uuid4().hex
        params = {"MessageSid": sid, "MessageStatus": status} | ({"ErrorCode": code} if code is not None else {})
        assert self.post("/twilio/status", params).status_code == 204

    @precondition(lambda self: any(self.calls.values()))
    @rule(data=st.data(), keys=KEYS)
    def call_goes_on(self, data, keys):
        """Twilio fetches the call's next TwiML: the first document, or a Gather's result."""
        tally("conversation")
        sid = data.draw(st.sampled_from([s for s, nxt in self.calls.items() if nxt]), label="call")
        url, params = self.calls[sid]
        root = ET.fromstring(self.post(url, {"CallSid": sid, **params}).data)
        gather, redirect = root.find("Gather"), root.find("Redirect")
        if gather is not None and keys is not None:
            self.calls[sid] = (gather.get("action"), {"Digits": keys})
        elif redirect is not None:
            self.calls[sid] = (redirect.text, {})
        else:
            self.calls[sid] = None  # hung up

    @precondition(lambda self: self.calls)
    @rule(status=CALL_STATUSES, duration=st.sampled_from(["0", "14", "95", ""]), data=st.data())
    def call_ends(self, status, duration, data):
        tally("conversation")
        sid = data.draw(st.sampled_from(list(self.calls)), label="call")
        params = {"CallSid": sid, "CallStatus": status, "CallDuration": duration}
        assert self.post("/twilio/call-status", params).status_code == 204
        if status != "in-progress":
            self.calls[sid] = None

    @rule(phone=st.sampled_from(PHONES + ["+15550000000"]))
    def learner_rings(self, phone):
        """A missed call: rejected at once, a practice call queued for a voice learner."""
        tally("conversation")
        params = {"CallSid": "CA" + uuid.uuid4().hex, "From": phone, "To": "+15005550006"}
        assert self.post("/twilio/voice/incoming", params).status_code == 200

    # -- after every step -----------------------------------------------------------------
    def _status(self, phone: str) -> str | None:
        with self.db() as db:
            return db.exec(select(Learner.status).where(Learner.phone == phone)).first()

    @invariant()
    def store_is_sound(self):
        with self.app.app_context(), self.db() as db:
            assert_store_sound(db)

    @invariant()
    def no_learner_is_woken_late(self):
        with self.app.app_context(), self.db() as db:
            db.expire_all()
            late = woken_in_time(db, now=self.clock.now(), policy=current_policy(self.app))
            assert not late, "\n".join(late)

    @invariant()
    def nothing_reached_an_opted_out_phone(self):
        fresh = self.sent()[self.seen:]
        leaked = [m for m in fresh if m["to"] in self.opted_out]
        assert not leaked, f"sent after STOP: {leaked}"
        for message in fresh:
            if message["kind"] == "call" and message["sid"] not in self.calls:
                self.calls[message["sid"]] = (message["url"], {"CallStatus": "in-progress"})
        self.seen += len(fresh)
        with self.db() as db:
            self.opted_out = set(db.exec(select(Learner.phone).where(Learner.status == "opted_out")).all())


def test_generated_conversations_keep_every_promise(migrated_database, app_config, tmp_path):
    numbers = count()
    Conversation.env = {"config": app_config, "migrated": migrated_database,
                        "path": lambda: tmp_path / f"conversation-{next(numbers)}.db"}
    runs = max(1, examples("conversation", 400) // STEPS)
    run_state_machine_as_test(Conversation, settings=settings(
        max_examples=runs, stateful_step_count=STEPS, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))

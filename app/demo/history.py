"""Weeks of demo history, made by the real engine on a clock stepped through past days.

Nothing here writes an answer, a card or a rating itself. Every hour of simulated time,
in order:

1. learners' texts sent since the last step go through ``receive_sms`` at the moment they
   were sent, as the Twilio webhook passes them on (graded, stored, card moved on FSRS,
   the next quiz question chained in the reply); STOP goes the same way;
2. sessions held by then are recorded with ``complete_session``;
3. while some site's send window is open, one dispatcher pass: ``planner.plan`` then
   ``delivery.claim``/``deliver_row``, to a transport that sends nothing (the demo's
   numbers are fictional);
4. each learner shown a new question decides whether and when to answer; a voice learner
   picks up (or not) and keys in answers through the voice flow Twilio would drive
   (``flow.start``/``flow.answer``, then the call status callback).

The same seed gives the same history relative to ``now``. Sessions held "now" are queued
last and left to the worker, so a fresh ``scripts/dev`` has a live quiz in the queue (sent as
each learner's window and daily cap allow, like any other).
Everything it needs (policy, voice options) comes in as arguments.
"""
from __future__ import annotations

import heapq
import itertools
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, select

from app.channels.options import ChannelOptions
from app.demo.personas import ItemFacts, Persona
from app.demo.programme import SESSION_HOUR, DemoLearner, DemoSession
from app.learning import keywords
from app.learning.inbound import receive_sms
from app.learning.policy import Policy
from app.learning.prompts import QUESTION_KINDS, pending_prompt
from app.learning.sessions import complete_session
from app.models import (
    Answer,
    Cohort,
    Feedback,
    Item,
    Learner,
    Module,
    Outbox,
    Prompt,
    Site,
    TrainingSession,
)
from app.reports.feedback import set_flagged, set_testimonial
from app.scheduling import delivery
from app.scheduling.planner import plan
from app.simulation.world import SimTransport
from app.voice import flow
from app.voice.calls import call_of_row
from app.voice.settings import VoiceOptions
from app.voice.status import record_call_status

STEP = timedelta(hours=1)  # between dispatcher passes (replies are taken at their own moment)
SEED = 2024


@dataclass
class HistoryReport:
    sessions: int = 0
    days: int = 0
    texts: int = 0  # learners' texts handled (answers, ratings, comments, STOP)
    calls: int = 0  # calls placed, answered or not
    sent: int = 0  # messages and calls the dispatcher sent


@dataclass
class _Held:
    at: datetime
    session: DemoSession


def held_at(session: DemoSession, site: Site, now: datetime) -> datetime:
    """When a scripted session was held: ``days_ago`` before today at the site's class hour,
    moved back to the Friday when that falls on a weekend; ``now`` if it has none."""
    if session.days_ago is None:
        return now
    zone = ZoneInfo(site.timezone)
    day = now.astimezone(zone).date() - timedelta(days=session.days_ago)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return datetime.combine(day, time(SESSION_HOUR.get(site.name, 11)), zone).astimezone(UTC)


def has_history(db: Session, cohorts: list[str]) -> bool:
    """Whether any demo cohort has a session already: the demo then leaves history alone."""
    return db.exec(select(TrainingSession.id).join(Cohort, Cohort.id == TrainingSession.cohort_id)
                   .where(Cohort.name.in_(cohorts)).limit(1)).first() is not None


class History:
    """Plays the scripted programme through the engine, from its first session to ``now``."""

    def __init__(self, db: Session, *, now: datetime, learners: tuple[DemoLearner, ...],
                 sessions: tuple[DemoSession, ...], policy: Policy, env: flow.Env, options: VoiceOptions,
                 created_by: int | None = None, seed: int = SEED):
        self.db, self.now, self.policy, self.env, self.options = db, now, policy, env, options
        self.created_by = created_by
        self.transport = SimTransport(prefix=f"demo{int(now.timestamp())}")
        self.events: list[tuple] = []  # heap of (when, n, kind, learner id, prompt id)
        self.counter = itertools.count()
        self.report = HistoryReport()
        rows = {l.phone: l for l in db.exec(select(Learner).where(
            Learner.phone.in_([spec.phone for spec in learners]))).all()}
        self.learners = {rows[spec.phone].id: rows[spec.phone] for spec in learners if spec.phone in rows}
        self.personas = {rows[spec.phone].id: Persona.draw(spec, index=n, seed=seed)
                         for n, spec in enumerate(learners) if spec.phone in rows}
        self.items: dict[int, ItemFacts] = {}
        self.held = self._schedule(sessions)
        self.sites = db.exec(select(Site).where(Site.id.in_({l.site_id for l in self.learners.values()}))).all()
        self.origin = self.held[0].at if self.held else now

    # -- set-up ------------------------------------------------------------------------
    def _schedule(self, sessions) -> list[_Held]:
        out = []
        for session in sessions:
            site = self.db.exec(select(Site).join(Cohort, Cohort.site_id == Site.id)
                                .where(Cohort.name == session.cohort)).first()
            if site is not None:
                out.append(_Held(held_at(session, site, self.now), session))
        return sorted(out, key=lambda h: h.at)

    def _day(self, when: datetime) -> float:
        return (when - self.origin).total_seconds() / 86400

    def _facts(self, item_id: int) -> ItemFacts:
        if item_id not in self.items:
            item = self.db.get(Item, item_id)
            module = self.db.get(Module, item.module_id)
            self.items[item_id] = ItemFacts(f"{module.key}/{item.slug}", item.answer, len(item.options))
        return self.items[item_id]

    @contextmanager
    def _session(self):
        """The planner's session factory: the whole history runs in one session."""
        yield self.db

    # -- the loop ----------------------------------------------------------------------
    def play(self) -> HistoryReport:
        if not self.held:
            return self.report
        pending = list(self.held)
        tick = self.origin.replace(minute=0, second=0, microsecond=0)
        self.report.days = (self.now - tick).days
        while tick <= self.now:
            self._events_until(tick)
            while pending and pending[0].at <= tick:
                self._hold(pending.pop(0))
            if self._open(tick):
                self._dispatch(tick)
            tick += STEP
        self._events_until(self.now)
        while pending:
            self._hold(pending.pop(0))
        self.db.commit()
        return self.report

    def _open(self, tick: datetime) -> bool:
        """Whether any site's send window is open: outside all of them a pass sends nothing."""
        for site in self.sites:
            local = tick.astimezone(ZoneInfo(site.timezone)).strftime("%H:%M")
            if site.send_start <= local < site.send_end:
                return True
        return False

    def _push(self, when: datetime, kind: str, learner_id: int, prompt_id: int | None = None) -> None:
        if when <= self.now:
            heapq.heappush(self.events, (when, next(self.counter), kind, learner_id, prompt_id))

    def _events_until(self, until: datetime) -> None:
        while self.events and self.events[0][0] <= until:
            when, _n, kind, learner_id, prompt_id = heapq.heappop(self.events)
            if kind == "stop":
                self._stop(when, learner_id)
            else:
                self._reply(when, learner_id, prompt_id)
        self.db.commit()

    def _hold(self, held: _Held) -> None:
        """The classroom session: everyone present learns the module; the quiz is queued."""
        db, at = self.db, held.at
        cohort = db.exec(select(Cohort).where(Cohort.name == held.session.cohort)).first()
        module = db.exec(select(Module).where(Module.key == held.session.module)).first()
        if cohort is None or module is None:
            return
        first = not db.exec(select(TrainingSession.id).where(TrainingSession.cohort_id == cohort.id)).first()
        complete_session(db=db, cohort=cohort, module=module, held_at=at, now=at, created_by=self.created_by)
        keys = [self._facts(i).key for i in db.exec(select(Item.id).where(Item.module_id == module.id,
                                                                          Item.active)).all()]
        for learner_id, learner in self.learners.items():
            if learner.cohort_id != cohort.id or not learner.active:
                continue
            persona = self.personas[learner_id]
            persona.learn(keys, self._day(at))
            if first and persona.spec.stop_after_days:
                self._push(at + timedelta(days=persona.spec.stop_after_days, hours=7), "stop", learner_id)
        db.commit()
        self.report.sessions += 1

    def _dispatch(self, tick: datetime) -> None:
        """One dispatcher pass at ``tick``, then each learner sees what reached them."""
        db = self.db
        plan(self._session, now=tick, policy=self.policy, options=ChannelOptions(voice=self.options), batch=10_000)
        stats, sent = delivery.DeliveryStats(), []
        while rows := delivery.claim(db, now=tick, worker="demo", limit=500):
            for row in rows:
                delivery.deliver_row(db, row, transport=self.transport, now=tick, status_callback=None,
                                     max_attempts=6, options=ChannelOptions(voice=self.options), stats=stats)
                sent.append(row)
        db.commit()
        self.report.sent += stats.sent
        for row in sent:
            if row.sent_at != tick or row.learner_id not in self.personas:
                continue
            if row.kind == "call":
                self._call(row, tick)
            elif row.prompt_id and self.personas[row.learner_id].replies():
                delay = timedelta(days=self.personas[row.learner_id].delay_days())
                self._push(tick + delay, "reply", row.learner_id, row.prompt_id)

    # -- learners ----------------------------------------------------------------------
    def _text(self, when: datetime, learner: Learner, body: str) -> None:
        receive_sms(db=self.db, sid=f"SMdemoin{self.transport.prefix}{next(self.counter):08d}",
                    from_number=learner.phone, body=body, now=when, policy=self.policy)
        self.report.texts += 1

    def _stop(self, when: datetime, learner_id: int) -> None:
        learner = self.learners[learner_id]
        word = keywords.words_for(keywords.STOP, learner.language)[0]
        self._text(when, learner, word.upper())

    def _reply(self, when: datetime, learner_id: int, prompt_id: int) -> None:
        """The learner answers the prompt they were sent, if it is still the one waiting."""
        db, learner, persona = self.db, self.learners[learner_id], self.personas[learner_id]
        prompt = pending_prompt(db, learner_id)
        if prompt is None or prompt.id != prompt_id:
            return  # expired, or they opted out meanwhile
        t = self._day(when)
        facts = correct = None
        if prompt.kind in QUESTION_KINDS:
            facts = self._facts(prompt.item_id)
            choice = persona.choose(facts, t)
            correct = choice == facts.answer
            body = persona.digits(choice)
        elif prompt.kind == "rating":
            body = persona.digits(persona.rating())
        else:
            body = persona.comment()
        self._text(when, learner, body)
        if facts is not None:
            persona.answered(facts, t, correct)
        following = pending_prompt(db, learner_id)
        if following is not None and following.id != prompt_id and following.last_sent_at == when \
                and persona.keeps_going():
            minutes = 0.5 + 2.5 * persona.sim.rng.random()
            self._push(when + timedelta(minutes=minutes), "reply", learner_id, following.id)

    def _call(self, row: Outbox, tick: datetime) -> None:
        """A quiz call: picked up or not; if so, each question answered on the keypad."""
        db, persona = self.db, self.personas[row.learner_id]
        call = call_of_row(db, row)
        self.report.calls += 1
        if call is None or not persona.replies():
            db.commit()
            record_call_status(db, sid=row.sid, status="no-answer", duration=None, now=tick + timedelta(seconds=40),
                               options=self.options, wait=0)
            db.commit()
            return
        when = tick + timedelta(seconds=20)
        response = flow.start(db, call=call, call_sid=row.sid, now=when, env=self.env)
        while (gather := ET.fromstring(str(response)).find("Gather")) is not None:
            query = parse_qs(urlsplit(gather.get("action") or "").query)
            prompt = db.get(Prompt, int(query["prompt"][0]))
            when += timedelta(seconds=18 + 10 * persona.sim.rng.random())
            facts = self._facts(prompt.item_id) if prompt.kind in QUESTION_KINDS else None
            key = persona.choose(facts, self._day(when)) if facts else persona.rating()
            response = flow.answer(db, call=call, prompt_id=prompt.id, attempt=int((query.get("try") or ["1"])[0]),
                                   digits=str(key), speech=None, now=when, env=self.env)
            if facts is not None:
                persona.answered(facts, self._day(when), key == facts.answer)
        db.commit()
        record_call_status(db, sid=row.sid, status="completed", duration=int((when - tick).total_seconds()),
                           now=when, options=self.options, wait=0)
        db.commit()


def answers_of(db: Session, cohorts: list[str]) -> int:
    """How many answers the demo cohorts' learners have given (for the summary line)."""
    return db.exec(select(func.count(Answer.id)).join(Learner, Learner.id == Answer.learner_id)
                   .join(Cohort, Cohort.id == Learner.cohort_id).where(Cohort.name.in_(cohorts))).one()


def supervise(db: Session, *, now: datetime, learners: tuple[DemoLearner, ...], follow_up_after_days: int = 10) -> None:
    """What the supervisors did meanwhile, through the dashboard's own functions: a quoted
    comment put in the testimonial bank with the learner's consent, two days after it came;
    flagged feedback older than ``follow_up_after_days`` followed up (newer still waits)."""
    phones = [spec.phone for spec in learners]
    for spec in learners:
        if not spec.testimonial:
            continue
        found = db.exec(select(Feedback).join(Learner, Learner.id == Feedback.learner_id)
                        .where(Learner.phone == spec.phone, Feedback.comment == spec.testimonial)).first()
        if found is not None and not found.testimonial:
            when = min(found.created_at + timedelta(days=2), now)
            set_testimonial(db=db, feedback=found, consent=True, now=when, consent_at=when)
    old = db.exec(select(Feedback).join(Learner, Learner.id == Feedback.learner_id)
                  .where(Learner.phone.in_(phones), Feedback.flagged,
                         Feedback.created_at < now - timedelta(days=follow_up_after_days))).all()
    for row in old:
        set_flagged(db=db, feedback=row, flagged=False, now=min(row.created_at + timedelta(days=2), now))
    db.flush()

"""The virtual clock: simulated learners living through a schedule, day by day.

Time jumps between ticks: every ``tick_minutes`` inside the send window (outside it the
dispatcher sends nothing, and replies wait for the next tick). At each tick, in order:

1. the replies learners sent since the last tick go to ``engine.handle_text`` at the
   moment they were sent, as the SMS webhook's ``receive_sms`` passes them on (graded,
   stored, card updated, answered, next quiz question chained in the reply); each reply
   is kept in the outbox as ``receive_sms`` keeps it, so it is counted and paid for;
2. sessions due by now are marked held (``complete_session``);
3. one dispatcher pass: ``planner.plan``, then delivery through ``delivery.claim`` and
   ``delivery.deliver_row`` to a transport that sends nothing;
4. every prompt that reached a phone since the last look is shown to its learner, who
   decides whether and when to reply (``learner_model.Learner``).

Learners are independent (each has its own random stream, see ``learner_model``), so a
cohort can be split into shards simulated in parallel, each on its own database, and
the totals are the same however it is split.
"""
from __future__ import annotations

import heapq
import math
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from app.channels.options import ChannelOptions
from app.clock import FrozenClock
from app.config import REPO_ROOT
from app.learning.engine import handle_text
from app.learning.prompt_kinds import QUESTION_KINDS
from app.learning.sessions import complete_session
from app.messaging.segments import count_segments
from app.models import Cohort, Module, Outbox, Pack, Prompt, Site
from app.models import Item as ItemRow
from app.models import Learner as LearnerRow
from app.reports import learning as learning_report
from app.scheduling import delivery
from app.scheduling.planner import plan
from app.simulation import whatsapp, world
from app.simulation.content import read_pack
from app.simulation.learner_model import Behaviour, Learner, item_offset, memory_model, offset
from app.simulation.schedules import Schedule

ZONE = ZoneInfo("Asia/Kolkata")
RARE = 0.4  # a learner who replies to fewer than this share of messages "rarely replies"
SESSION_HOUR = 11  # the classroom session ends at 11:00 local


@dataclass(frozen=True)
class SimConfig:
    learners: int = 1000
    days: int = 90
    seed: int = 1
    pack: str = "digital-banking"
    content_dir: str = str(REPO_ROOT / "content")
    languages: tuple[str, ...] = ("en", "hi")
    session_every: int = 7  # days between the pack's classroom sessions (one module each)
    tick_minutes: int = 30
    model: str = "hlr"
    checkpoints: tuple[int, ...] = (30, 90)
    start: datetime = datetime(2026, 3, 2, tzinfo=ZONE)  # a Monday, local midnight
    behaviour: Behaviour = field(default_factory=Behaviour)
    voice_share: float = 0.0  # share of learners on channel "voice" (fast engine only; voice.py)
    whatsapp_share: float = 0.0  # share on channel "whatsapp" (24-hour window, templates; both engines)
    keep_histories: bool = False  # return every answer, as ``saathi fit`` reads them (refit.py)

    def day(self, when: datetime) -> float:
        """Days since the start, as the learner model counts time."""
        return (when - self.start).total_seconds() / 86400


@dataclass
class ShardResult:
    learners: int = 0
    items: int = 0  # items taught per learner
    # checkpoint day -> each learner's items remembered (sum of recall probabilities)
    per_learner: dict[int, list[float]] = field(default_factory=dict)
    messages: int = 0
    segments: int = 0
    voice_seconds: int = 0  # call durations: estimated (fast engine, voice.py) or stored (db engine)
    voice_minutes: int = 0  # billed: each answered call rounded up to a whole minute (fast engine)
    calls: int = 0  # calls placed (each dialled up to VoiceOptions.max_dials times)
    dials: int = 0
    calls_answered: int = 0
    max_call_questions: int = 0  # the most questions one call carried
    wa_messages: int = 0  # WhatsApp messages sent (the provider's fee on each)
    wa_templates: int = 0  # of which utility templates outside the 24-hour window (Meta charges these)
    # Per learner, in learner order (fast engine): (channel, segments, billed voice minutes,
    # WhatsApp messages, WhatsApp templates), for the comparison by channel.
    learner_costs: list[tuple] = field(default_factory=list)
    by_purpose: dict[str, int] = field(default_factory=dict)
    rare_segments: int = 0  # segments sent to learners who reply to fewer than RARE of messages
    answers: int = 0
    correct: int = 0
    recall_by_days: dict[str, tuple[int, int]] = field(default_factory=dict)  # bucket -> (reviews, right)
    seconds: float = 0.0
    # With ``SimConfig.keep_histories``: each learner's answers to each item, [(when, right), ...].
    histories: list = field(default_factory=list)

    def add(self, other: ShardResult) -> ShardResult:
        self.learners += other.learners
        self.items = max(self.items, other.items)
        for key in ("messages", "segments", "voice_seconds", "voice_minutes", "calls", "dials", "calls_answered",
                    "wa_messages", "wa_templates", "answers", "correct", "rare_segments"):
            setattr(self, key, getattr(self, key) + getattr(other, key))
        self.max_call_questions = max(self.max_call_questions, other.max_call_questions)
        for day, values in other.per_learner.items():
            self.per_learner.setdefault(day, []).extend(values)
        for purpose, value in other.by_purpose.items():
            self.by_purpose[purpose] = self.by_purpose.get(purpose, 0) + value
        for label, (n, c) in other.recall_by_days.items():
            old = self.recall_by_days.get(label, (0, 0))
            self.recall_by_days[label] = (old[0] + n, old[1] + c)
        self.seconds = max(self.seconds, other.seconds)
        self.histories.extend(other.histories)
        self.learner_costs.extend(other.learner_costs)
        return self


def tick_times(cfg: SimConfig, day: int) -> list[datetime]:
    date = (cfg.start + timedelta(days=day)).date()
    first = datetime(date.year, date.month, date.day, 9, 0, tzinfo=ZONE)
    last = datetime(date.year, date.month, date.day, 20, 0, tzinfo=ZONE)
    out, when = [], first
    while when < last:
        out.append(when.astimezone(UTC))
        when += timedelta(minutes=cfg.tick_minutes)
    return out


class Simulation:
    """One schedule, one shard of learners, one throwaway database."""

    def __init__(self, schedule: Schedule, cfg: SimConfig, indices: range, directory: str, template: str):
        self.schedule, self.cfg, self.indices = schedule, cfg, indices
        self.model = memory_model(cfg.model)
        self.learners = {i: Learner.draw(cfg.seed, i, cfg.behaviour) for i in indices}
        self.replies: list[tuple[datetime, int, int]] = []  # heap of (when, learner id, prompt id)
        self.seen: dict[int, tuple] = {}  # learner id -> (prompt id, last sent, kind, item id)
        self.waiting: set[int] = set()  # learner ids with a reply on its way
        self.shown: dict[int, tuple[int, datetime]] = {}  # WhatsApp: learner -> (prompt, question put at)
        self.result = ShardResult(learners=len(indices))
        self.path = None
        if schedule.sends:
            self.path = os.path.join(directory, f"{schedule.name}-{indices.start}.db")
            shutil.copyfile(template, self.path)
            self.clock = FrozenClock(cfg.start)
            self.app = world.build_app(f"sqlite:///{self.path}", clock=self.clock, policy=schedule.policy)
            self.engine = self.app.extensions["saathi.engine"]
            self.transport = self.app.extensions["saathi.transport"]

    # -- set-up ------------------------------------------------------------------------
    def setup(self) -> None:
        cfg = self.cfg
        pack = read_pack(Path(cfg.content_dir) / cfg.pack)
        self.items_by_module = {m.key: m.item_keys for m in pack.modules}
        self.result.items = sum(len(keys) for keys in self.items_by_module.values())
        if not self.schedule.sends:
            self.sessions = [(self._held_at(k), m.key) for k, m in enumerate(pack.modules)]
            return
        # One session for the whole run, as if the worker, the webhook and the trainer took
        # turns on one connection. It keeps the rows every step reads (site, items,
        # modules, learners) in its identity map instead of reloading them each tick.
        self.db = db = Session(self.engine, expire_on_commit=False)
        cohort, modules, ids = world.populate(
            db, pack=pack, indices=self.indices, languages=cfg.languages, now=cfg.start,
            channel_of=lambda i: whatsapp.channel_of(cfg.seed, i, cfg.voice_share, cfg.whatsapp_share))
        if cfg.whatsapp_share > 0:
            whatsapp.approve_templates(db, db.get(Pack, modules[0].pack_id), pack)
        self.items = world.items_of(db, modules)
        db.commit()
        self.cohort_id = cohort.id
        self.index_of = ids
        self.rows = {"learners": {l.id: l for l in db.exec(select(LearnerRow)).all()},
                     "static": [*db.exec(select(Site)).all(), *db.exec(select(ItemRow)).all(),
                                *db.exec(select(Module)).all(), cohort]}
        self.sessions = [(self._held_at(k), m) for k, m in enumerate(modules)]

    def _held_at(self, k: int) -> datetime:
        day = (self.cfg.start + timedelta(days=k * self.cfg.session_every)).date()
        return datetime(day.year, day.month, day.day, SESSION_HOUR, tzinfo=ZONE).astimezone(UTC)

    @contextmanager
    def _factory(self):
        yield self.db

    # -- the loop ----------------------------------------------------------------------
    def run(self) -> ShardResult:
        started = time.perf_counter()
        self.setup()
        checkpoints = sorted((self.cfg.start + timedelta(days=d), d) for d in self.cfg.checkpoints)
        pending_sessions = sorted(self.sessions, key=lambda s: s[0])
        for day in range(self.cfg.days):
            for tick in tick_times(self.cfg, day):
                while checkpoints and checkpoints[0][0] <= tick:
                    self._checkpoint(*checkpoints.pop(0))
                while pending_sessions and pending_sessions[0][0] <= tick:
                    self._hold(*pending_sessions.pop(0))
                if self.schedule.sends:
                    self._tick(tick)
        for when, day in checkpoints:
            self._checkpoint(when, day)
        if self.schedule.sends:
            self._measure()
            self.db.close()
            self.engine.dispose()
            os.remove(self.path)
        self.result.seconds = time.perf_counter() - started
        return self.result

    def _checkpoint(self, when: datetime, day: int) -> None:
        t = self.cfg.day(when)
        self.result.per_learner[day] = [
            math.fsum(self.model.recall(memory, t) for memory in self.learners[i].memories.values())
            for i in self.indices]

    def _hold(self, held_at: datetime, module) -> None:
        """The classroom session: every learner meets the module's items; the quiz is queued."""
        t = self.cfg.day(held_at)
        key = module if isinstance(module, str) else module.key
        for learner in self.learners.values():
            for item in self.items_by_module[key]:
                z = item_offset(self.cfg.seed, item)
                learner.memories[item] = self.model.new(offset=offset(self.model, learner, z), t=t)
        if not self.schedule.sends:
            return
        self.clock.set(held_at)
        complete_session(db=self.db, cohort=self.db.get(Cohort, self.cohort_id), module=module,
                         held_at=held_at, now=held_at)
        self.db.commit()

    def _tick(self, now: datetime) -> None:
        self.clock.set(now)
        if self.replies and self.replies[0][0] <= now:
            self._reply_until(now)
            self._look(chained=True)
        stats = plan(self._factory, now=now, policy=self.schedule.policy, options=ChannelOptions(), batch=1_000_000,
                     chunk=500)
        if stats.planned or stats.reminded:
            self._deliver(now)
        if stats.planned or stats.reminded or stats.expired:
            # An expired prompt is no longer one a late reply can answer: look even when
            # nothing was sent, so each learner's story never depends on the others'.
            self._look(chained=False)

    def _deliver(self, now: datetime) -> None:
        """The dispatcher's delivery, row by row through ``deliver_row``, in one transaction."""
        stats, db = delivery.DeliveryStats(), self.db
        while rows := delivery.claim(db, now=now, worker="simulation", limit=1000):
            for row in rows:
                delivery.deliver_row(db, row, transport=self.transport, now=now, status_callback=None,
                                     max_attempts=6, options=ChannelOptions(), stats=stats)
        db.commit()

    def _look(self, *, chained: bool) -> None:
        """Show every newly sent (or re-sent) pending prompt to its learner."""
        rows = self.db.execute(sa_select(Prompt.learner_id, Prompt.id, Prompt.last_sent_at, Prompt.kind,
                                         Prompt.item_id).where(Prompt.status == "pending")).all()
        rows = [(*row, self._shown_at(row[0], row[1])) for row in rows]
        fresh = [row for row in rows if _moment(self.seen.get(row[0])) != _moment(row[1:])]
        self.seen = {row[0]: tuple(row[1:]) for row in rows}
        for learner_id, prompt_id, sent, _kind, _item, shown in sorted(fresh):
            if learner_id in self.waiting:
                continue
            # On WhatsApp the question may come after its template, when the learner replied.
            sent = sent if shown is None else max(sent, shown)
            learner = self.learners[self.index_of[learner_id]]
            if chained and learner.keeps_going():
                when = sent + timedelta(minutes=0.5 + 2.5 * learner.rng.random())
            elif learner.replies():
                when = sent + timedelta(days=learner.delay_days())
            else:
                continue
            self.waiting.add(learner_id)
            heapq.heappush(self.replies, (when, learner_id, prompt_id))

    def _shown_at(self, learner_id: int, prompt_id: int) -> datetime | None:
        shown = self.shown.get(learner_id)
        return shown[1] if shown is not None and shown[0] == prompt_id else None

    def _reply_until(self, now: datetime) -> None:
        """Every reply sent by ``now``, through the engine as the SMS webhook passes it on."""
        replies = []
        while self.replies and self.replies[0][0] <= now:
            when, learner_id, prompt_id = heapq.heappop(self.replies)
            self.waiting.discard(learner_id)
            seen = self.seen.get(learner_id)
            if seen is None or seen[0] != prompt_id:
                continue  # expired or replaced before the learner got round to it
            replies.extend(self._reply(when, learner_id, *seen[:-1]))
        if replies:
            self.db.execute(insert(Outbox), replies)
        self.db.commit()

    def _reply(self, when: datetime, learner_id: int, prompt_id: int, _sent, kind: str,
               item_id: int | None) -> list[dict]:
        learner = self.learners[self.index_of[learner_id]]
        row = self.rows["learners"][learner_id]
        on_whatsapp = row.channel == "whatsapp"
        if on_whatsapp and whatsapp.receive(self.db, row, prompt_id, when=when, options=ChannelOptions()):
            self.shown[learner_id] = (prompt_id, when)  # the reply to a template: no answer
            return []
        memory = None
        if kind in QUESTION_KINDS:
            info = self.items[item_id]
            memory = learner.memories[info.key]
            t = self.cfg.day(when)
            choice = learner.choose(self.model.recall(memory, t), info.answer, info.options)
            body = str(choice)
        elif kind == "rating":
            body = str(learner.rng.choice((3, 4, 4, 5, 5)))
        else:
            body = "0" if learner.rng.random() < 0.85 else "Good session, thank you"
        out = handle_text(db=self.db, learner=row, text=body, now=when, policy=self.schedule.policy,
                          channel=row.channel)
        if memory is not None:
            self.model.expose(memory, t, choice == info.answer)
        if on_whatsapp:
            send = whatsapp.sender(self.db, when=when, options=ChannelOptions())
            for o in out:
                send(self.db, row, o)
            return []
        return [reply_row(row, o.body, o.prompt_id, when) for o in out]

    # -- measuring ---------------------------------------------------------------------
    def _measure(self) -> None:
        db = self.db
        spend = learning_report.spend(db=db, cohort_id=self.cohort_id)
        points = learning_report.bucket(learning_report.recall_by_days(db=db, cohort_id=self.cohort_id))
        answers = learning_report.recall_by_days(db=db, cohort_id=self.cohort_id, kinds=QUESTION_KINDS)
        r = self.result
        r.messages, r.segments, r.voice_seconds = spend.messages, spend.segments, spend.voice_seconds
        r.by_purpose = dict(spend.by_purpose)
        r.answers = sum(p.reviews for p in answers)
        r.correct = sum(p.correct for p in answers)
        r.recall_by_days = {p.days: (p.reviews, p.correct) for p in points}
        per_learner = db.execute(sa_select(Outbox.learner_id, func.sum(Outbox.segments))
                                 .where(Outbox.status.in_(learning_report.BILLED), Outbox.kind == "sms")
                                 .group_by(Outbox.learner_id)).all()
        r.rare_segments = sum(int(n) for learner_id, n in per_learner
                              if self.learners[self.index_of[learner_id]].response_rate < RARE)
        self._count_whatsapp()

    def _count_whatsapp(self) -> None:
        """WhatsApp messages (templates among them) in all and per learner, as the fast engine counts."""
        r, db = self.result, self.db
        rows = db.execute(sa_select(Outbox.learner_id, Outbox.kind, Outbox.purpose, Outbox.segments, Outbox.status)
                          .where(Outbox.status.not_in(("failed", "undelivered", "cancelled", "dead")))).all()
        per = {i: [0, 0, 0] for i in self.indices}
        for learner_id, kind, purpose, segments, status in rows:
            mine = per[self.index_of[learner_id]]
            if kind == "whatsapp":
                mine[1] += 1
                mine[2] += purpose == "opener"
                r.messages += status == "queued"  # a reply queued at the end: sent at the next pass
            else:
                mine[0] += segments
        r.wa_messages = sum(m[1] for m in per.values())
        r.wa_templates = sum(m[2] for m in per.values())
        channel = {self.index_of[lid]: row.channel for lid, row in self.rows["learners"].items()}
        r.learner_costs = [(channel[i], per[i][0], 0, per[i][1], per[i][2]) for i in self.indices]


def _moment(seen: tuple | None) -> tuple | None:
    """(prompt, sent at, question shown at): a change in any is a prompt to look at afresh."""
    return None if seen is None else (seen[0], seen[1], seen[-1])


def reply_row(learner: LearnerRow, body: str, prompt_id: int | None, now: datetime) -> dict:
    """The outbox row ``receive_sms`` keeps for a reply sent in the webhook's TwiML."""
    info = count_segments(body)
    return {"learner_id": learner.id, "prompt_id": prompt_id, "kind": "sms", "purpose": "reply",
            "to_number": learner.phone, "body": body, "encoding": info.encoding, "segments": info.segments,
            "status": "replied", "next_attempt_at": now, "created_at": now, "sent_at": now,
            "updated_at": now, "attempts": 0, "uncertain": False}


def run_shard(schedule: Schedule, cfg: SimConfig, indices: range, directory: str, template: str) -> ShardResult:
    return Simulation(schedule, cfg, indices, directory, template).run()

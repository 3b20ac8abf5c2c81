"""The dispatcher's rules replayed in memory: the engine behind ``saathi simulate``.

The database engine (``runner.py``) sends every message through the real planner,
outbox, delivery and conversation engine on SQLite, at about 9 ms a message: 1,000
learners over 90 days would take most of an hour per schedule. This engine follows the
same rules one learner at a time with nothing stored, and calls the real code wherever
it needs no database:

- real code: the card update (``Policy.review``: FSRS through the ``fsrs`` package, or a
  fixed schedule), every text a learner receives (``app.learning.texts``, the content
  renderer, the translation catalogs), its price (``count_segments``), and the send
  window (``next_window_start``);
- replayed: what the planner and the engine decide with queries: the post-session
  sequence, one pending prompt per learner, reminders and expiry, the daily cap, the most
  overdue card first, a verdict and the next question in one SMS when that costs no
  extra segment.

Voice learners (``SimConfig.voice_share``, this engine only) are called instead of texted:
``voice.py`` replays the planner's and ``app/voice``'s rules for them. WhatsApp learners
(``SimConfig.whatsapp_share``; the db engine runs the real channel for them) get the same
prompts, each message free inside Meta's 24-hour window or a paid template outside it
(``whatsapp.py``); tests/test_simulation_whatsapp.py checks the two engines agree.

``tests/test_simulation.py`` runs both engines on the same learners and checks that they
send the same messages and leave the same memories, so a change to the planner or the
engine that this file does not follow fails a test instead of quietly skewing the figures.
Both engines keep time to the microsecond (rows.py), so they draw the same random
numbers at the same moments.
"""
from __future__ import annotations

import math
import time
from bisect import bisect_left
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from app.learning import srs
from app.models import Site
from app.reports.learning import RecallPoint, bucket
from app.scheduling.window import next_window_start
from app.simulation import whatsapp, world
from app.simulation.content import read_pack
from app.simulation.learner_model import Learner, item_offset, memory_model, offset
from app.simulation.rows import DAY_US, US, ItemInfo, Prompt, State, Texts, to_datetime, to_us
from app.simulation.runner import (
    QUESTION_KINDS,
    RARE,
    SESSION_HOUR,
    ZONE,
    ShardResult,
    SimConfig,
    tick_times,
)
from app.simulation.schedules import Schedule
from app.simulation.voice import VoiceSim


class FastSimulation:
    """One schedule, one shard of learners, no database."""

    def __init__(self, schedule: Schedule, cfg: SimConfig, indices: range):
        self.schedule, self.cfg, self.indices, self.policy = schedule, cfg, indices, schedule.policy
        self.model = memory_model(cfg.model)
        pack = read_pack(Path(cfg.content_dir) / cfg.pack)
        modules = world.pack_objects(pack)
        self.texts = Texts(modules)
        self.items = {item.id: ItemInfo(module.key, item) for module, items in modules for item in items}
        self.start = to_us(cfg.start)
        self.ticks, self.midnights = [], []
        for day in range(cfg.days):
            midnight = to_us(cfg.start + timedelta(days=day))
            for tick in tick_times(cfg, day):
                self.ticks.append(to_us(tick))
                self.midnights.append(midnight)
        self.sessions = []  # (held at, module key, items)
        for k, (module, items) in enumerate(modules):
            day = (cfg.start + timedelta(days=k * cfg.session_every)).date()
            held = datetime(day.year, day.month, day.day, SESSION_HOUR, tzinfo=ZONE).astimezone(UTC)
            self.sessions.append((to_us(held), module.key, [self.items[item.id] for item in items]))
        self.first_held = {key: held for held, key, _ in self.sessions}
        self.checkpoints = sorted((to_us(cfg.start + timedelta(days=d)), d) for d in cfg.checkpoints)
        self.reminder_after = self.policy.reminder_after // US
        self.expiry = self.policy.prompt_expiry // US
        self.site = Site(name=world.SITE_NAME, country="IN", timezone="Asia/Kolkata")
        self.where = SimpleNamespace(timezone=None)  # a learner on the site's clock
        self.result = ShardResult(learners=len(indices), items=sum(len(items) for _, _, items in self.sessions))
        self.by_day: dict[int, list[int]] = {}  # review answers: whole days since the session -> [n, right]
        self.voice = VoiceSim(self) if cfg.voice_share > 0 else None  # calls for voice learners (voice.py)
        self.oracle = schedule.oracle

    # -- the loop ----------------------------------------------------------------------
    def run(self) -> ShardResult:
        started = time.perf_counter()
        per_learner = {day: [] for _, day in self.checkpoints}
        for index in self.indices:
            for day, value in self._learner(index).items():
                per_learner[day].append(value)
        r = self.result
        r.per_learner = per_learner
        points = [RecallPoint(str(day), n, c) for day, (n, c) in sorted(self.by_day.items())]
        r.recall_by_days = {p.days: (p.reviews, p.correct) for p in bucket(points)} if self.schedule.sends else {}
        r.seconds = time.perf_counter() - started
        return r

    def _learner(self, index: int) -> dict[int, float]:
        learner = Learner.draw(self.cfg.seed, index, self.cfg.behaviour)
        st = State(learner, self.cfg.languages[index % len(self.cfg.languages)])
        st.channel = whatsapp.channel_of(self.cfg.seed, index, self.cfg.voice_share, self.cfg.whatsapp_share)
        st.voice = st.channel == "voice"
        r = self.result
        before = (r.segments, r.voice_minutes, r.wa_messages, r.wa_templates)
        remembered: dict[int, float] = {}
        checkpoints, sessions, ticks = list(self.checkpoints), list(self.sessions), self.ticks
        k = 0
        while True:
            wake = self._wake(st, sessions[0][0] if sessions else None)
            if wake is None:
                break
            k = bisect_left(ticks, wake, lo=k)
            if k >= len(ticks):
                break
            now = ticks[k]
            while checkpoints and checkpoints[0][0] <= now:
                self._checkpoint(st, remembered, *checkpoints.pop(0))
            while sessions and sessions[0][0] <= now:
                self._hold(st, *sessions.pop(0))
            if not self.schedule.sends:
                continue
            if st.voice:  # a call instead of a text
                self.voice.tick(st, now, self.midnights[k])
                k += 1
                continue
            if st.reply is not None and st.reply[0] <= now:
                self._reply(st)
                self._look(st, chained=True)
            if self._plan(st, now, self.midnights[k]):
                self._look(st, chained=False)
            k += 1
        for when, day in checkpoints:
            self._checkpoint(st, remembered, when, day)
        if learner.response_rate < RARE:
            self.result.rare_segments += st.segments
        if self.cfg.keep_histories:
            self.result.histories.extend(st.answers.values())
        after = (r.segments, r.voice_minutes, r.wa_messages, r.wa_templates)
        r.learner_costs.append((st.channel, *(a - b for a, b in zip(after, before))))
        return remembered

    def _wake(self, st: State, session: int | None) -> int | None:
        """The earliest moment anything can happen to this learner (a lower bound)."""
        times = [session] if session is not None else []
        if self.schedule.sends:
            if st.call is not None:  # a voice call waiting for its next dial
                times.append(st.call.next_dial)
            if st.reply is not None:
                times.append(st.reply[0])
            p = st.pending
            if p is not None:
                stale = p.last_sent + (self.reminder_after if p.reminders < self.policy.reminders
                                       else max(self.reminder_after, self.expiry))
                times.append(stale if st.next_contact is None else max(stale, st.next_contact))
            else:
                due = [c[1] for c in st.cards.values()]
                if self.oracle is not None and st.cards:  # it decides each day, whatever is due
                    due.append(st.next_contact or 0)
                if st.queue:
                    due.append(st.queue[0].due)
                if due:
                    first = min(due)
                    times.append(first if st.next_contact is None else max(first, st.next_contact))
        return min(times) if times else None

    def _checkpoint(self, st: State, remembered: dict, when: int, day: int) -> None:
        t = (when - self.start) / 10**6 / 86400
        remembered[day] = math.fsum(self.model.recall(m, t) for m in st.learner.memories.values())

    def _hold(self, st: State, held: int, key: str, items) -> None:
        """The classroom session (``sessions.complete_session``): the items are met, the quiz queued."""
        t = (held - self.start) / 10**6 / 86400
        learner = st.learner
        for item in items:
            z = item_offset(self.cfg.seed, item.key)
            learner.memories[item.key] = self.model.new(offset=offset(self.model, learner, z), t=t)
        if not self.schedule.sends:
            return
        steps = [("greeting", None)] + [("question", item) for item in items] + [("rating", None), ("comment", None)]
        for seq, (kind, item) in enumerate(steps):
            st.ids += 1
            st.queue.append(Prompt(st.ids, kind, key, item, seq, held))
        st.next_contact = None

    # -- sending -------------------------------------------------------------------------
    def _send(self, st: State, body: str, purpose: str, now: int = 0, shows: bool = False) -> None:
        """One message; ``shows``: it carries the pending prompt's question (WhatsApp's window)."""
        if st.channel == "whatsapp":
            whatsapp.send(self.result, st, now, prompt=shows)
            return
        segments = self.texts.segments(body)
        r = self.result
        r.messages += 1
        r.segments += segments
        r.by_purpose[purpose] = r.by_purpose.get(purpose, 0) + segments
        st.segments += segments

    def _may_send(self, st: State, now: int, midnight: int) -> bool:
        """``planner._may_send`` at a tick (always inside the window): under the daily cap?"""
        if st.day_start != midnight:
            st.day_start, st.capped_today = midnight, 0
        if st.capped_today >= (self.site.daily_cap or self.policy.daily_cap):
            st.next_contact = to_us(next_window_start(to_datetime(now), self.where, self.site))
            return False
        return True

    def _capped(self, st: State, body: str, purpose: str, now: int) -> None:
        st.capped_today += purpose in ("prompt", "reminder")
        self._send(st, body, purpose, now, shows=purpose in ("prompt", "reminder"))

    def _activate(self, st: State, now: int) -> tuple[str, int | None] | None:
        """``prompts.activate_next_queued``: the next queued prompt's text, now pending."""
        if not st.queue or st.queue[0].due > now:
            return None
        prompt = st.queue.popleft()
        body = self.texts.body(prompt, st.lang)
        if prompt.kind != "greeting":
            prompt.last_sent, st.pending, st.wa_shown = now, prompt, None
            return body, prompt.id
        if not st.queue or st.queue[0].due > now:
            return body, None
        following = st.queue.popleft()
        following.last_sent, st.pending, st.wa_shown = now, following, None
        return body + "\n\n" + self.texts.body(following, st.lang), following.id

    def _plan(self, st: State, now: int, midnight: int) -> bool:
        """``planner.plan`` for one learner: a reminder or an expiry, then a new prompt."""
        changed = False
        p = st.pending
        if p is not None and (st.next_contact is None or st.next_contact <= now) \
                and p.last_sent <= now - self.reminder_after:
            if p.reminders < self.policy.reminders:
                if self._may_send(st, now, midnight):
                    p.reminders += 1
                    p.last_sent = now
                    body = self.texts.said("reminder", st.lang) + self.texts.body(p, st.lang)
                    self._capped(st, body, "reminder", now)
                    changed = True
            elif p.last_sent <= now - self.expiry:
                st.pending = None
                later = to_datetime(now) + timedelta(minutes=1)
                st.next_contact = to_us(next_window_start(later, self.where, self.site))
                changed = True
        if st.pending is not None or (st.next_contact is not None and st.next_contact > now):
            return changed
        queued = bool(st.queue) and st.queue[0].due <= now
        card = None
        if not queued and self.oracle is not None:  # a yardstick: reads the learner's memory (oracle.py)
            chosen = self.oracle.choose(self, st, now)
            if chosen is None:  # nothing worth a segment today
                st.next_contact = to_us(next_window_start(to_datetime(midnight) + timedelta(days=1), self.where,
                                                          self.site))
                return changed
            card = (now, 0, chosen)
        elif not queued:
            due = [(c[1], c[2], item_id) for item_id, c in st.cards.items() if c[1] <= now]
            if not due:
                return changed
            card = min(due)
        if not self._may_send(st, now, midnight):
            return changed
        out = self._activate(st, now)
        if out is not None:
            body, prompt_id = out
            self._capped(st, body, "prompt" if prompt_id is not None else "notice", now)
            return True
        st.ids += 1
        item = self.items[card[2]]
        prompt = Prompt(st.ids, "review", item.module, item, None, card[0])
        prompt.last_sent, st.pending, st.wa_shown = now, prompt, None
        self._capped(st, self.texts.body(prompt, st.lang), "prompt", now)
        return True

    # -- the learner's side ------------------------------------------------------------
    def _look(self, st: State, *, chained: bool) -> None:
        """``runner._look`` for one learner: a new (or re-sent) prompt, and the learner's decision."""
        p = st.pending
        current = (p.id, p.last_sent, st.wa_shown) if p is not None else None
        if current == st.seen:
            return
        st.seen = current
        if p is None or st.reply is not None:
            return
        learner = st.learner
        # On WhatsApp the question may come after its template, when the learner replied to it.
        base = p.last_sent if st.wa_shown is None else max(p.last_sent, st.wa_shown)
        if chained and learner.keeps_going():
            when = base + timedelta(minutes=0.5 + 2.5 * learner.rng.random()) // US
        elif learner.replies():
            when = base + timedelta(days=learner.delay_days()) // US
        else:
            return
        st.reply = (when, p.id)

    def _reply(self, st: State) -> None:
        """``runner._reply`` and ``engine.handle_text``: graded, answered, the next prompt chained."""
        when, prompt_id = st.reply
        st.reply = None
        p = st.pending
        if st.channel == "whatsapp":
            whatsapp.opened(st, when)  # any message opens the window, even a late one
        if p is None or p.id != prompt_id:
            return  # expired or replaced before the learner got round to it
        learner, lang = st.learner, st.lang
        if st.channel == "whatsapp" and st.wa_shown is None:
            # The reply to a template is not an answer: the question itself goes now, free.
            self._send(st, self.texts.body(p, lang), "reply", when, shows=True)
            return
        st.pending = None
        if p.kind in QUESTION_KINDS:
            item = p.item
            memory = learner.memories[item.key]
            t = (when - self.start) / 10**6 / 86400
            correct = learner.choose(self.model.recall(memory, t), item.answer, item.options) == item.answer
            self._review(st, item.id, correct, when)
            self.result.answers += 1
            self.result.correct += correct
            if p.kind == "review":
                n_c = self.by_day.setdefault((when - self.first_held[p.module]) // DAY_US, [0, 0])
                n_c[0] += 1
                n_c[1] += correct
            verdict = self.texts.said("correct", lang) if correct else self.texts.said("wrong", lang, item)
            self._then_next(st, verdict, when)
            self.model.expose(memory, t, correct)
        elif p.kind == "rating":
            learner.rng.choice((3, 4, 4, 5, 5))
            self._then_next(st, self.texts.said("rating", lang), when)
        else:
            skipped = learner.rng.random() < 0.85
            self._then_next(st, None if skipped else self.texts.said("comment", lang), when)

    def _review(self, st: State, item_id: int, correct: bool, when: int) -> None:
        """``engine.record_review``: the card's next state from the schedule's policy."""
        card = st.cards.get(item_id)
        if card is None:
            card = st.cards[item_id] = [None, when, len(st.cards)]
        state = self.policy.review(card[0] or None, correct=correct, now=to_datetime(when))
        card[0], card[1] = state, to_us(srs.due_of(state))
        if self.cfg.keep_histories:
            st.answers.setdefault(item_id, []).append((to_datetime(when), correct))

    def _then_next(self, st: State, verdict: str | None, when: int) -> None:
        """``engine._then_next``: the verdict and the next question, in one SMS if no dearer."""
        nxt = self._activate(st, when)
        shows = nxt is not None and nxt[1] is not None
        if verdict is None:
            if nxt is not None:
                self._send(st, nxt[0], "reply", when, shows)
            return
        if nxt is None:
            self._send(st, verdict, "reply", when)
            return
        joined = verdict + "\n" + nxt[0]
        if self.texts.segments(joined) <= self.texts.segments(nxt[0]):
            self._send(st, joined, "reply", when, shows)
        else:
            self._send(st, verdict, "reply", when)
            self._send(st, nxt[0], "reply", when, shows)


def run_shard(schedule: Schedule, cfg: SimConfig, indices: range) -> ShardResult:
    return FastSimulation(schedule, cfg, indices).run()

"""Voice learners in the fast engine: a call instead of a text, billed by the started minute.

A learner on channel ``voice`` gets what the planner and ``app/voice`` give them, replayed
in memory as fast.py replays the SMS side:

- planning (``planner.plan_learner`` -> ``calls.plan_call``): inside the send window and
  under the daily cap, with nothing pending and nothing waiting since the last call; the
  call (``calls.choose_prompts``) carries the queued post-session prompts, then the most
  overdue cards, up to ``VoiceOptions().max_questions`` questions (a rating does not count,
  as in ``choose_prompts``). The call counts once against the daily cap, as its dial row
  (purpose "prompt") does; re-dials (purpose "retry") do not. A call with nothing to ask
  (only a greeting or a comment request left) is not placed, and those prompts are closed.
- dialling (``status.apply_call_status``): the learner picks up with their reply
  probability (``Learner.replies``), one draw per dial. An unanswered dial is tried again
  ``retry_after`` later, doubling, inside the window, up to ``max_dials`` dials; then the
  call fails (``end_call``): its post-session prompts go back to the queue, its reviews
  expire (the cards stay due), and the learner is called again at the next window.
- the call (``flow.start``/``flow.answer``): greeting, then each question (its number in a
  post-session quiz, the text, every option) and a key, graded by the same learner model as
  an SMS answer at the moment the key is pressed; the verdict (a wrong one with the answer
  and the explanation); the rating and its thanks; a comment request is skipped (free text
  cannot be keyed in); the summary and goodbye. The next call comes ``call_gap`` after the
  end of this one, inside the window (``calls.next_contact_after``). Modelled: an answered
  call is heard to the end and every question gets a valid key (no hang-ups, no re-asks).
- batching (``calls.held_until``, the same ``calls.review_call_at``): with
  ``min_questions`` N > 1 (the spec's ``batch=N``, ``wait=D``) a call of reviews alone waits
  until N cards are due or the oldest due one has waited ``batch_wait``; a call with a
  post-session prompt is never held.
- cost: the seconds the texts take to speak (``app.voice.texts``, words at
  ``WORDS_PER_MINUTE``) plus ``KEY_SECONDS`` per key, billed per started minute per call
  (Twilio's rule). Unanswered dials cost nothing: Twilio bills only answered calls.
"""
from __future__ import annotations

import heapq
import math
from datetime import timedelta
from types import SimpleNamespace

from app.learning.prompt_kinds import QUESTION_KINDS, REQUEUED_KINDS, VOICE_KINDS
from app.learning.texts import text_in
from app.scheduling.window import next_window_start
from app.simulation.rows import DAY_US, NAME, Prompt, State, to_datetime, to_us
from app.simulation.whatsapp import channel_of
from app.voice import texts as said
from app.voice.calls import review_call_at, within_window
from app.voice.settings import VoiceOptions

OPTIONS = VoiceOptions()  # the defaults, as a deployment without SAATHI_VOICE_* settings runs
# Speaking rate of the <Say> voices (words per minute): an assumption (not measured) for
# Polly's standard voices, about 150 in English, Norwegian and Dutch, Hindi a little slower.
# docs/learning.md ("Voice learners") states these figures.
WORDS_PER_MINUTE = {"en": 150, "nb": 150, "nl": 150, "hi": 130}
DEFAULT_WORDS_PER_MINUTE = 150
KEY_SECONDS = 4.0  # hearing the prompt out, finding the key, pressing it


def is_voice(seed: int, index: int, share: float) -> bool:
    """Whether learner ``index`` is on channel ``voice``: a draw of its own, so the choice
    changes no other random number, and the same learners are on voice for every schedule."""
    return channel_of(seed, index, share, 0.0) == "voice"


def speaking_seconds(words: int, lang: str) -> float:
    return 60.0 * words / WORDS_PER_MINUTE.get(lang, DEFAULT_WORDS_PER_MINUTE)


def words(text: str) -> int:
    return len(text.split())


def billed_minutes(seconds: float) -> int:
    """Twilio bills a call per started minute."""
    return math.ceil(seconds / 60) if seconds > 0 else 0


class Call:
    """An open call: its prompts in the order it asks them, failed dials, the next dial."""

    __slots__ = ("failed", "next_dial", "prompts", "questions")

    def __init__(self, prompts: list[Prompt], now: int):
        self.prompts, self.failed, self.next_dial = prompts, 0, now
        self.questions = sum(p.kind in QUESTION_KINDS for p in prompts)


class VoiceSim:
    """The voice side of one ``FastSimulation``: planning, dialling and the call itself."""

    def __init__(self, sim):
        self.sim = sim
        self.options = sim.schedule.voice  # batching from the spec (schedules.py)
        self.batch = self.options.batch_questions
        self.batch_wait = round(self.options.batch_wait.total_seconds() * 1_000_000)
        self.modules = sim.texts.modules
        self._words: dict[tuple, int] = {}

    # -- the spoken texts, counted in words ----------------------------------------------
    def count(self, key: tuple, lang: str) -> int:
        found = self._words.get((key, lang))
        if found is None:
            found = self._words[(key, lang)] = sum(words(t) for t in self._texts(key, lang))
        return found

    def _texts(self, key: tuple, lang: str) -> list[str]:
        what = key[0]
        if what == "greeting":
            module = self.modules[key[1]][0] if key[1] else None
            return [said.greeting(SimpleNamespace(language=lang, name=NAME), module)]
        if what == "ask":  # flow._Call.parts
            _, kind, module, item, seq = key
            if kind == "rating":
                return [said.rating(lang)]
            out = [said.question_number(lang, seq, len(self.modules[module][1]))] if kind == "question" else []
            out.append(text_in(item.row.question, lang))
            return out + [said.option(lang, n, text_in(opt, lang)) for n, opt in enumerate(item.row.options, 1)]
        if what == "verdict":
            return [said.correct(lang) if key[1] is None else said.wrong(lang, key[1].row)]
        if what == "summary":
            return [said.summary(lang, key[1], key[2])]
        return [{"thanks": said.thanks_rating, "goodbye": said.goodbye}[what](lang)]

    def seconds(self, key: tuple, lang: str) -> float:
        return speaking_seconds(self.count(key, lang), lang)

    # -- the dispatcher's side --------------------------------------------------------------
    def tick(self, st: State, now: int, midnight: int) -> None:
        """One dispatcher pass for a voice learner: a due re-dial, or a new call."""
        if st.call is not None:
            if st.call.next_dial <= now:
                self._dial(st, now)
            return
        if st.next_contact is not None and st.next_contact > now:
            return
        if not (st.queue and st.queue[0].due <= now) and not any(c[1] <= now for c in st.cards.values()):
            return
        if not self.sim._may_send(st, now, midnight):
            return
        held = self.held_until(st, now)
        if held is not None:
            st.next_contact = held
            return
        call = self.build(st, now)
        if call is None:
            st.next_contact = None
            return
        st.capped_today += 1
        st.call = call
        self.sim.result.calls += 1
        self._dial(st, now)

    def held_until(self, st: State, now: int) -> int | None:
        """``calls.held_until``: a call of reviews alone waits for ``min_questions`` due cards
        (``calls.review_call_at``); a due post-session prompt is never held."""
        if self.batch <= 1 or (st.queue and st.queue[0].due <= now):
            return None
        busy = {p.item.id for p in st.queue if p.item is not None}
        dues = heapq.nsmallest(self.batch, (c[1] for item_id, c in st.cards.items() if item_id not in busy))
        if not dues or dues[0] > now:
            return None
        at = review_call_at(dues, min_questions=self.batch, wait=self.batch_wait)
        return at if at > now else None

    def build(self, st: State, now: int) -> Call | None:
        """``calls.build_call``/``choose_prompts``: queued prompts, then due cards, up to the limit."""
        limit = self.options.max_questions
        chosen: list[Prompt] = []
        questions = 0
        while st.queue and st.queue[0].due <= now:
            if st.queue[0].kind in QUESTION_KINDS:
                if questions >= limit:
                    break
                questions += 1
            chosen.append(st.queue.popleft())
        if questions < limit:
            busy = {p.item.id for p in (*st.queue, *chosen) if p.item is not None}
            due = sorted((c[1], c[2], item_id) for item_id, c in st.cards.items()
                         if c[1] <= now and item_id not in busy)[:limit - questions]
            for card_due, _, item_id in due:
                st.ids += 1
                item = self.sim.items[item_id]
                chosen.append(Prompt(st.ids, "review", item.module, item, None, min(card_due, now)))
        askable = [p for p in chosen if p.kind in VOICE_KINDS]
        if not askable:
            return None  # a voice-only learner's greeting or comment request: closed, skipped
        askable[0].last_sent, st.pending = now, askable[0]
        return Call(chosen, now)

    def _dial(self, st: State, now: int) -> None:
        """One dial (``status.apply_call_status``): answered, re-dialled later, or given up."""
        call, sim = st.call, self.sim
        sim.result.dials += 1
        if st.learner.replies():
            self._talk(st, call, now)
            return
        call.failed += 1
        if call.failed < self.options.max_dials:
            later = to_datetime(now) + self.options.retry_after * 2 ** (call.failed - 1)
            call.next_dial = to_us(within_window(later, sim.where, sim.site))
            return
        # end_call(status="failed"): post-session prompts back to the queue, reviews expire.
        st.queue.extendleft(reversed([p for p in call.prompts if p.kind in REQUEUED_KINDS]))
        st.pending = st.call = None
        st.next_contact = to_us(next_window_start(to_datetime(now) + timedelta(minutes=1), sim.where, sim.site))

    # -- the call ------------------------------------------------------------------------
    def _talk(self, st: State, call: Call, now: int) -> None:
        """``flow.start`` and ``flow.answer`` to the end: every question keyed, graded when keyed."""
        sim, lang, learner = self.sim, st.lang, st.learner
        r = sim.result
        greeting = next((p for p in call.prompts if p.kind == "greeting"), None)
        seconds = self.seconds(("greeting", greeting.module if greeting else None), lang)
        right = total = 0
        for p in call.prompts:
            if p.kind not in VOICE_KINDS:
                continue  # the greeting was said; a comment request is skipped on a call
            seconds += self.seconds(("ask", p.kind, p.module, p.item, p.seq), lang) + KEY_SECONDS
            when = now + round(seconds * 1_000_000)
            if p.kind == "rating":
                learner.rng.choice((3, 4, 4, 5, 5))
                seconds += self.seconds(("thanks",), lang)
                continue
            item = p.item
            memory = learner.memories[item.key]
            t = (when - sim.start) / 10**6 / 86400
            correct = learner.choose(sim.model.recall(memory, t), item.answer, item.options) == item.answer
            sim._review(st, item.id, correct, when)
            r.answers += 1
            r.correct += correct
            if p.kind == "review":
                n_c = sim.by_day.setdefault((when - sim.first_held[p.module]) // DAY_US, [0, 0])
                n_c[0] += 1
                n_c[1] += correct
            sim.model.expose(memory, t, correct)
            seconds += self.seconds(("verdict", None if correct else item), lang)
            right, total = right + correct, total + 1
        if total:
            seconds += self.seconds(("summary", right, total), lang)
        seconds += self.seconds(("goodbye",), lang)
        end = to_datetime(now + round(seconds * 1_000_000))
        st.pending = st.call = None
        st.next_contact = to_us(within_window(end + self.options.call_gap, sim.where, sim.site))
        r.calls_answered += 1
        duration = math.ceil(seconds)  # Twilio reports whole seconds ...
        r.voice_seconds += duration
        r.voice_minutes += billed_minutes(duration)  # ... and bills whole minutes
        r.max_call_questions = max(r.max_call_questions, call.questions)

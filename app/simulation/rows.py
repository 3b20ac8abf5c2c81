"""What the fast engine keeps instead of database rows: prompts, each learner's state, and
every text a learner receives, rendered once by the real text functions and priced by
``count_segments`` (see fast.py for why there are two engines).

Times are integer microseconds since the epoch: the database engine's datetimes have
microsecond resolution, so the two engines compare the same instants the same way.
"""
from __future__ import annotations

from collections import deque
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from app.learning import texts
from app.messaging.segments import count_segments
from app.simulation.learner_model import Learner

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US = timedelta(microseconds=1)
DAY_US = 86_400_000_000
NAME = "Learner"  # every simulated learner is "Learner <n>": greetings use the first name


def to_us(when: datetime) -> int:
    return (when - EPOCH) // US


def to_datetime(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


class Texts:
    """Message bodies and their segment counts, rendered once by the real text functions."""

    def __init__(self, modules):
        self.modules = {module.key: (module, items) for module, items in modules}
        self._bodies: dict[tuple, str] = {}
        self._segments: dict[str, int] = {}

    def segments(self, body: str) -> int:
        found = self._segments.get(body)
        if found is None:
            found = self._segments[body] = count_segments(body).segments
        return found

    def body(self, prompt: Prompt, lang: str) -> str:
        """``prompts.render``: a quiz question carries its number, a review does not."""
        key = (prompt.kind, lang, prompt.module, prompt.item.id if prompt.item else None,
               prompt.seq if prompt.kind == "question" else None)
        found = self._bodies.get(key)
        if found is None:
            module, items = self.modules[prompt.module]
            number = total = None
            if prompt.kind == "question":
                number, total = prompt.seq, len(items)
            found = self._bodies[key] = texts.prompt_body(
                prompt, learner=SimpleNamespace(language=lang, name=NAME),
                item=prompt.item.row if prompt.item else None, module=module, number=number, total=total)
        return found

    def said(self, what: str, lang: str, item=None) -> str:
        key = (what, lang, item.id if item is not None else None)
        found = self._bodies.get(key)
        if found is None:
            found = self._bodies[key] = {
                "correct": lambda: texts.correct_text(lang),
                "wrong": lambda: texts.wrong_text(lang, item.row),
                "rating": lambda: texts.thanks_rating_text(lang),
                "comment": lambda: texts.thanks_comment_text(lang),
                "reminder": lambda: texts.reminder_text(lang, ""),
            }[what]()
        return found


class ItemInfo:
    """An item's fields the loop reads, off the ORM instance (whose attribute access is slow)."""

    __slots__ = ("answer", "id", "key", "module", "options", "row")

    def __init__(self, module: str, row):
        self.id, self.key, self.module, self.row = row.id, f"{module}/{row.slug}", module, row
        self.answer, self.options = row.answer, len(row.options)


class Prompt:
    """A queued or pending prompt: what the ``prompt`` table holds for one learner."""

    __slots__ = ("due", "id", "item", "kind", "last_sent", "module", "reminders", "seq")

    def __init__(self, id, kind, module, item, seq, due):
        self.id, self.kind, self.module, self.item, self.seq, self.due = id, kind, module, item, seq, due
        self.last_sent, self.reminders = None, 0


class State:
    """One learner's rows: queue, pending prompt, cards, next contact, today's capped sends."""

    def __init__(self, learner: Learner, lang: str):
        self.learner, self.lang = learner, lang
        self.queue: deque[Prompt] = deque()
        self.pending: Prompt | None = None
        self.cards: dict[int, list] = {}  # item id -> [fsrs state, due, creation order]
        self.next_contact: int | None = None
        self.day_start, self.capped_today = -1, 0
        self.reply: tuple[int, int] | None = None  # (when, prompt id) on its way
        self.seen: tuple | None = None  # (prompt id, last sent) at the last look
        self.ids = 0
        self.segments = 0
        self.voice = False  # channel "voice": calls instead of texts (voice.py)
        self.channel = "sms"  # "sms", "voice" or "whatsapp" (whatsapp.py)
        self.wa_open_until = 0  # WhatsApp: the 24-hour window closes then
        self.wa_shown: int | None = None  # WhatsApp: when the pending question itself was shown
        self.call = None  # the open call, while it waits for a re-dial
        self.answers: dict[int, list] = {}  # item id -> [(when, right), ...] (SimConfig.keep_histories)

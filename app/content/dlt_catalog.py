"""The SMS Saathi writes itself, as India's DLT must have them registered.

A pack's own texts (greeting, questions, explanations, rating, comment) are half of what
an Indian learner receives. The other half comes from the translation catalogs: "Correct!",
a reminder, the answers to STOP, START, HELP, LANG, QUIZ and SCORE, the outcome check-in,
the built-in skills milestones' questions and their answers,
and the replies that join two texts in one SMS (the verdict and the next question, when
that costs no extra segment: ``engine._then_next``; a re-ask and the question again). Every
one must match a template the entity registered, or carriers drop it and Saathi holds it
back (``SmsChannel._unregistered``). Those templates live with the pack's (``templates: dlt``),
under the kinds below; ``messages`` renders what Saathi would send, for the validator, and
``suggested`` writes the template to register, a ``{#var#}`` where a value changes.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from app.channels.dlt import VAR
from app.i18n import LANGUAGES, say
from app.journeys import milestones
from app.messaging.segments import count_segments

LOCALES = Path(__file__).resolve().parents[2] / "locales"
MARK = "\x1f"  # stands where a value goes, then becomes a {#var#}


@dataclass(frozen=True)
class Entry:
    """A catalog text as Saathi sends it: its message id and the values it takes."""

    kind: str
    msgid: str
    samples: tuple[tuple[str, object], ...] = ()  # name -> a sample value (a long one, to check the 30)
    then: str | None = None  # a second catalog text after it in the same SMS (a milestone's "Reply 1 yes…")

    def render(self, lang: str) -> str:
        values = {name: value(lang) if callable(value) else value for name, value in self.samples}
        return self._then(say(lang, self.msgid, **values), lang)

    def template(self, lang: str) -> str:
        """With a ``{#var#}`` for each value that changes (a language's own name does not)."""
        values = {name: value(lang) if callable(value) else MARK for name, value in self.samples}
        return self._then(say(lang, self.msgid, **values).replace(MARK, VAR), lang)

    def _then(self, text: str, lang: str) -> str:
        return text + " " + say(lang, self.then) if self.then else text


def _languages_line(lang: str) -> str:
    from app.learning.texts import language_unknown_text

    return language_unknown_text(lang)


# The catalog texts an Indian learner can receive alone, by DLT kind.
CATALOG = (
    Entry("correct", "Correct!"),
    Entry("thanks_rating", "Thank you for your rating!"),
    Entry("thanks_comment", "Thank you! Your trainer will read this."),
    Entry("reask_rating", "Please reply with a number from 1 to 5."),
    Entry("help", "Saathi sends short questions after your training. Reply with the number "
                  "of your answer. QUIZ: practice now. SCORE: your progress. STOP: no more messages."),
    Entry("stop", "You will get no more messages from Saathi. Reply START to begin again."),
    Entry("start", "Welcome back! Saathi will send your questions again. Reply STOP to stop."),
    Entry("lang", "Saathi will now write to you in {language}.", (("language", lambda lang: LANGUAGES[lang]),)),
    Entry("nothing_pending", "Thank you! Your next question will come soon. Reply QUIZ to practice now."),
    Entry("no_practice", "No practice questions yet. They come after your first session."),
    Entry("score", "{name}: {answered} answers, right: {percent}%. {learned} of {total} questions learned.",
          (("name", "Lakshminarayanan"), ("answered", 1234), ("percent", 100), ("learned", 123), ("total", 456))),
    Entry("checkin", "Are you working now? Reply 1 same job, 2 new job, 3 studying, 4 looking for work."),
    Entry("checkin_unclear", "Thank you! Your supervisor will get in touch."),
    Entry("checkin_thanks", "Thank you! Good luck."),
    # The built-in skills milestones, each its own template (a question is too long for a
    # 30-character variable). A programme's own milestones are its own words: register them
    # as they are written, or Saathi holds the question back at a DLT site.
    *(Entry(f"milestone_{m.key}", m.question, then=milestones.REPLY) for m in milestones.BUILT_IN),
    Entry("milestone_done", milestones.DONE),
    Entry("milestone_later", milestones.LATER),
)
LANGUAGE_LIST = "lang_unknown"  # "Languages: en English, hi …": fixed per deployment, rendered whole
# Two texts in one SMS: (first, second, separator). The first is a catalog kind or the
# pack's "explanation" (a wrong answer's verdict); the second a pack kind (``text_kinds``).
JOINED = (("correct", "question", "\n"), ("explanation", "question", "\n"), ("correct", "rating", "\n"),
          ("explanation", "rating", "\n"), ("thanks_rating", "comment", "\n"), ("reminder", "question", " "),
          ("reminder", "rating", " "), ("reminder", "comment", " "), ("reask", "question", "\n"))
PREFIXES = {"reminder": Entry("reminder", "Reminder:"),
            "reask": Entry("reask", "Please reply with a number from 1 to {count}.", (("count", 4),))}
KINDS = (*(e.kind for e in CATALOG), LANGUAGE_LIST, *(f"{a}+{b}" for a, b, _ in JOINED))


def catalog_messages(lang: str) -> Iterator[tuple[str, Entry | None, str]]:
    """``(kind, entry, text)`` of every catalog text alone, as ``lang`` writes it."""
    for entry in CATALOG:
        yield entry.kind, entry, entry.render(lang)
    yield LANGUAGE_LIST, None, _languages_line(lang)


def joined(verdict: str, following: str) -> str | None:
    """A verdict and the next prompt in one SMS (``engine._then_next``), or None where the
    engine sends them apart (together they would cost another segment)."""
    together = verdict + "\n" + following
    return together if count_segments(together).segments <= count_segments(following).segments else None


def prefix(kind: str, lang: str, count: int | None = None) -> str:
    entry = PREFIXES[kind]
    return say(lang, entry.msgid, count=count) if count is not None else entry.render(lang)


def suggested(kind: str, lang: str, registered: dict) -> str | None:
    """The template to register for ``kind`` in ``lang``: a catalog text with ``{#var#}`` for
    its values; two joined texts as the two templates (the pack's ones as registered)."""
    if "+" in kind:
        first, second = kind.split("+")
        sep = next(s for a, b, s in JOINED if (a, b) == (first, second))
        head = PREFIXES[first].template(lang) if first in PREFIXES else _part(first, lang, registered)
        tail = _part(second, lang, registered)
        return head + sep + tail if head is not None and tail is not None else None
    return _part(kind, lang, registered)


def _part(kind: str, lang: str, registered: dict) -> str | None:
    spec = registered.get(kind, {}).get(lang)
    if spec is not None:
        return spec.text if hasattr(spec, "text") else spec["text"]
    if kind == LANGUAGE_LIST:
        return _languages_line(lang)
    entry = next((e for e in CATALOG if e.kind == kind), None)
    return entry.template(lang) if entry else None


@lru_cache(maxsize=64)
def catalog_line(lang: str, msgid: str) -> int | None:
    """The line of ``msgid`` in ``lang``'s catalog (where a translator changes it)."""
    from babel.messages.pofile import read_po

    path = LOCALES / lang / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return None
    with path.open("rb") as handle:
        message = read_po(handle).get(msgid)
    return message.lineno if message is not None else None


def catalog_file(lang: str) -> str:
    return f"locales/{lang}/LC_MESSAGES/messages.po"

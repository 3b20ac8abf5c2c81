"""Who else may text Saathi's number: a seam, so learning answers them without knowing them.

A text from a number no learner has may still be someone's: a mentor answering a nudge, a
mentee's STOP. Learning must not import those areas (they build on learning, not the other
way round), so each registers an answerer here and ``inbound._from_stranger`` asks them in
order; the first reply that is not None is the answer, else the number is unknown.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session

# ``(db, *, phone, text, now) -> reply``, or None when the number is not theirs. Each is asked
# for every stranger's text, so it should cost one statement (tests/test_answer_cost.py).
Answerer = Callable[..., "str | None"]


class Strangers:
    """The answerers for strangers' texts, consulted in the order they were registered."""

    def __init__(self, answerers: tuple[Answerer, ...] = ()):
        self.answerers: list[Answerer] = list(answerers)

    def register(self, answerer: Answerer) -> None:
        """Add ``answerer`` once: every app the process builds registers the same ones."""
        if answerer not in self.answerers:
            self.answerers.append(answerer)

    def answer(self, db: Session, *, phone: str, text: str, now: datetime) -> str | None:
        for answerer in self.answerers:
            reply = answerer(db, phone=phone, text=text, now=now)
            if reply is not None:
                return reply
        return None


# The process's registry, filled by the app factory (``app.mentoring.init_app``); a caller with
# its own (a test) passes it to ``_from_stranger`` instead.
STRANGERS = Strangers()

"""Spaced repetition with FSRS, tuned for a phone rather than a flashcard app.

FSRS's defaults step through minutes (1 min, 10 min) while learning; nobody wants a quiz
SMS every ten minutes, so learning and relearning steps are whole days. A right answer is
``Good``, a wrong one ``Again``: a multiple-choice reply tells us no more than that.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache

from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler

from app.config import LEARNING_DEFAULTS

LEARNING_STEPS = (timedelta(days=1), timedelta(days=3))
RELEARNING_STEPS = (timedelta(days=1),)
# fsrs.Card() without an id takes the clock's milliseconds and sleeps 1 ms to keep them
# unique; Saathi's cards are keyed by their own rows, so a fixed id keeps states
# reproducible and the first answer to an item 1 ms faster.
CARD_ID = 0


@lru_cache(maxsize=64)
def scheduler(desired_retention: float = LEARNING_DEFAULTS["DESIRED_RETENTION"],
              learning_steps: tuple = LEARNING_STEPS, relearning_steps: tuple = RELEARNING_STEPS,
              maximum_interval: int = LEARNING_DEFAULTS["MAX_INTERVAL_DAYS"],
              parameters: tuple | None = None) -> Scheduler:
    """``parameters``: FSRS's 21 weights fitted to a pack's own answers (app/learning/fitting.py);
    None keeps the ``fsrs`` package's defaults, fitted to Anki users' flashcards."""
    extra = {"parameters": parameters} if parameters else {}
    return Scheduler(desired_retention=desired_retention, learning_steps=learning_steps,
                     relearning_steps=relearning_steps, maximum_interval=maximum_interval,
                     enable_fuzzing=False, **extra)


def new_card_state(now: datetime) -> dict:
    return FsrsCard(card_id=CARD_ID, due=now).to_dict()


def review(state: dict | None, *, correct: bool, now: datetime,
           desired_retention: float = LEARNING_DEFAULTS["DESIRED_RETENTION"],
           sched: Scheduler | None = None) -> dict:
    """The card's next FSRS state after an answer given at ``now``."""
    card = FsrsCard.from_dict(state) if state else FsrsCard(card_id=CARD_ID, due=now)
    sched = sched or scheduler(desired_retention)
    card, _log = sched.review_card(card, Rating.Good if correct else Rating.Again, now)
    return card.to_dict()


def due_of(state: dict) -> datetime:
    return datetime.fromisoformat(state["due"])


def retrievability(state: dict, now: datetime, sched: Scheduler | None = None) -> float:
    """FSRS's estimate that the learner still remembers the item at ``now``."""
    return (sched or scheduler()).get_card_retrievability(FsrsCard.from_dict(state), now)

"""FSRS fitted to a pack's own answers: how fast *these* learners forget *this* content.

The ``fsrs`` package's default weights come from Anki users reviewing flashcards; frontline
workers answering three-option questions by SMS forget differently (docs/learning.md). Once
a pack has enough answers, the FSRS optimizer (``fsrs-rs-python``, Rust, no torch) fits
the 21 weights to them and the engine schedules that pack's cards with the fit
(``Policy.fitted``). ``saathi fit`` runs it by hand; the worker runs ``refit_due`` once a
day, refitting a pack when enough new answers have come in since its last fit.

An answer tells FSRS only right (Good) or wrong (Again), on the day it was given; the
post-session quiz answer is a card's first review.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import fsrs_rs_python as optimizer
from sqlalchemy import func
from sqlmodel import Session, select

from app.models import Answer, Item, Module, Pack

GOOD, AGAIN = 3, 1
# Below this many answers a fit mostly learns noise (the optimizer itself falls back to its
# defaults on a few hundred); SAATHI_FIT_MIN_REVIEWS overrides.
MIN_REVIEWS = 1000
# The worker refits a pack once this many answers came in since its last fit, and at most
# once a week: weights that move every day would make cards' intervals jitter.
REFIT_EVERY = 1000
REFIT_GAP = timedelta(days=7)

History = list[tuple[datetime, bool]]  # one learner's answers to one item, oldest first


@dataclass(frozen=True)
class Fit:
    """The weights and how well each set predicts the same answers (lower is better)."""

    parameters: tuple[float, ...]
    answers: int
    log_loss_before: float  # the package's default weights
    log_loss_after: float
    rmse_before: float
    rmse_after: float

    @property
    def better(self) -> bool:
        return self.log_loss_after < self.log_loss_before


def training_items(histories: Iterable[History]) -> list:
    """Each history as FSRS's optimizer reads it: one item per review after the first that
    came on a later day, with the reviews before it (days between them, rating)."""
    items = []
    for history in histories:
        reviews, previous = [], None
        for when, correct in history:
            days = 0 if previous is None else max(0, (when.date() - previous.date()).days)
            reviews.append(optimizer.FSRSReview(GOOD if correct else AGAIN, days))
            previous = when
            if len(reviews) > 1 and days > 0:
                items.append(optimizer.FSRSItem(list(reviews)))
    return items


def fit(histories: Iterable[History]) -> Fit:
    """Fit FSRS's weights to the histories and compare them with the defaults on the same answers."""
    histories = list(histories)
    items = training_items(histories)
    if not items:
        raise ValueError("no answer came a day or more after an earlier one: nothing to learn from")
    default = optimizer.FSRS(optimizer.DEFAULT_PARAMETERS)
    parameters = tuple(float(p) for p in default.compute_parameters(items))
    before, after = default.evaluate(items), optimizer.FSRS(list(parameters)).evaluate(items)
    return Fit(parameters, sum(len(h) for h in histories), before.log_loss, after.log_loss,
               before.rmse_bins, after.rmse_bins)


def histories(db: Session, pack_id: int) -> Iterator[History]:
    """Every learner's answers to every item of the pack, one item's history at a time,
    streamed (a national programme has millions of answers)."""
    rows = db.exec(select(Answer.learner_id, Answer.item_id, Answer.answered_at, Answer.correct)
                   .join(Item, Item.id == Answer.item_id).join(Module, Module.id == Item.module_id)
                   .where(Module.pack_id == pack_id)
                   .order_by(Answer.learner_id, Answer.item_id, Answer.answered_at, Answer.id)
                   .execution_options(yield_per=5000))
    key, history = None, []
    for learner_id, item_id, answered_at, correct in rows:
        if (learner_id, item_id) != key:
            if history:
                yield history
            key, history = (learner_id, item_id), []
        history.append((answered_at, bool(correct)))
    if history:
        yield history


def answers_per_pack(db: Session) -> dict[int, int]:
    rows = db.exec(select(Module.pack_id, func.count(Answer.id))
                   .join(Item, Item.id == Answer.item_id).join(Module, Module.id == Item.module_id)
                   .group_by(Module.pack_id))
    return dict(rows.all())


@dataclass(frozen=True)
class Outcome:
    pack: str
    answers: int
    fit: Fit | None = None
    skipped: str | None = None  # why nothing was fitted


def fit_pack(db: Session, pack: Pack, *, now: datetime, min_reviews: int = MIN_REVIEWS,
             save: bool = True, answers: int | None = None) -> Outcome:
    """Fit the pack and keep the weights on it when they predict its answers better than the
    defaults do. ``answers`` is the pack's answer count when the caller has already counted
    (``refit_due`` has, for every pack at once). Not committed: the caller owns the transaction."""
    if answers is None:
        answers = answers_per_pack(db).get(pack.id, 0)
    if answers < min_reviews:
        return Outcome(pack.slug, answers, skipped=f"{answers} answers, fewer than {min_reviews}")
    try:
        result = fit(histories(db, pack.id))
    except ValueError as exc:
        return Outcome(pack.slug, answers, skipped=str(exc))
    usable = result.better and all(math.isfinite(p) for p in result.parameters)
    if save:  # a fit that is no better still counts as done: the next waits for new answers
        if usable:
            pack.memory_parameters = list(result.parameters)
        pack.memory_fitted_at, pack.memory_reviews = now, answers
        db.add(pack)
    if not usable:
        return Outcome(pack.slug, answers, result, skipped="the fit predicts these answers no better than the "
                                                           "weights in use; kept those")
    return Outcome(pack.slug, answers, result)


def refit_wanted(answers: int, *, last_answers: int, last_fit: datetime | None, now: datetime,
                 min_reviews: int = MIN_REVIEWS, every: int = REFIT_EVERY) -> bool:
    """The worker's rule (the simulator replays it: app/simulation/refit.py): enough answers,
    enough new ones since the last fit, and a week since it."""
    if answers < max(min_reviews, last_answers + every):
        return False
    return last_fit is None or now - last_fit >= REFIT_GAP


def refit_due(db: Session, *, now: datetime, min_reviews: int = MIN_REVIEWS,
              every: int = REFIT_EVERY) -> list[Outcome]:
    """Refit the packs that ``refit_wanted``."""
    counts = answers_per_pack(db)
    outcomes = []
    # Another worker refitting a pack holds its row: skip it rather than fit it twice.
    for pack in db.exec(select(Pack).order_by(Pack.id).with_for_update(skip_locked=True)).all():
        if refit_wanted(counts.get(pack.id, 0), last_answers=pack.memory_reviews, last_fit=pack.memory_fitted_at,
                        now=now, min_reviews=min_reviews, every=every):
            outcomes.append(fit_pack(db, pack, now=now, min_reviews=min_reviews, answers=counts.get(pack.id, 0)))
    return outcomes


def parameters_of(db: Session, item_id: int) -> list | None:
    """The fitted weights of the item's pack, if it has any."""
    return db.exec(select(Pack.memory_parameters).join(Module, Module.pack_id == Pack.id)
                   .join(Item, Item.module_id == Module.id).where(Item.id == item_id)).first()


def item_with_parameters(db: Session, item_id: int) -> tuple[Item | None, list | None]:
    """The item and the fitted weights of its pack, in one read: for a caller that needs the
    item anyway (a call grading a key), as the SMS answer path reads them with its prompt
    (``conversation.load``)."""
    row = db.exec(select(Item, Pack.memory_parameters).outerjoin(Module, Module.id == Item.module_id)
                  .outerjoin(Pack, Pack.id == Module.pack_id).where(Item.id == item_id)).first()
    return (row[0], row[1]) if row is not None else (None, None)

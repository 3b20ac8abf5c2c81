"""The conversation engine: one learner's reply in, Saathi's messages out.

Plain Python over a database session and a clock: the SMS webhook, the voice webhook,
the simulator and the tests all call ``handle_text``. A learner has at most one pending
prompt; a reply is read against it, graded, stored, answered, and the next question of a
post-session sequence follows at once (in the same SMS when that costs no extra segment).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from app.i18n import LANGUAGES
from app.learning import keywords, srs, texts
from app.learning.feedback import store_comment, store_rating
from app.learning.optout import opt_in, opt_out
from app.learning.parsing import normalize, parse_choice, parse_number
from app.learning.policy import Policy
from app.learning.prompts import (
    QUESTION_KINDS,
    Outgoing,
    activate_next_queued,
    create_review,
    pending_prompt,
    practice_card,
    render,
)
from app.messaging.segments import count_segments
from app.models import Answer, Card, Item, Learner, Prompt

__all__ = ["grade_answer", "handle_text", "opt_out", "record_rating", "record_review", "score"]

SKIP_WORDS = {"0", "skip", "no", "nahi", "नहीं", "nei", "nee", "-"}


def handle_text(*, db: Session, learner: Learner, text: str, now: datetime, policy: Policy,
                channel: str = "sms") -> list[Outgoing]:
    """Everything Saathi answers to ``text`` from ``learner``, in order."""
    command = keywords.match_keyword(text)
    if not learner.active:
        if command and command[0] == keywords.START and learner.status == "opted_out":
            return _start(db, learner, now)
        if command and command[0] == keywords.STOP and learner.status == "inactive":
            # Paused by staff, but STOP is the learner's own word: reactivation must not undo it.
            opt_out(db, learner, now=now, reason="learner sent STOP")
            return [Outgoing(texts.stopped_text(learner.language), purpose="reply")]
        return []  # an opted-out learner hears nothing until START
    if command and command[0] != keywords.START:
        return _command(db, learner, command, now=now, policy=policy, channel=channel)
    prompt = pending_prompt(db, learner.id)
    if prompt is None:
        return [Outgoing(texts.nothing_pending_text(learner.language), purpose="reply")]
    if prompt.kind in QUESTION_KINDS:
        return _answer(db, learner, prompt, text, now=now, policy=policy, channel=channel)
    if prompt.kind == "rating":
        return _rating(db, learner, prompt, text, now=now, channel=channel)
    return _comment(db, learner, prompt, text, now=now, channel=channel)


def _answer(db, learner, prompt, text, *, now, policy, channel) -> list[Outgoing]:
    item = db.get(Item, prompt.item_id)
    lang = learner.language
    choice = parse_choice(text, [[opt.get(lang), opt.get("en")] for opt in item.options])
    if choice is None:
        prompt.reask_count += 1
        db.add(prompt)
        reask = texts.reask_choice_text(lang, len(item.options))
        return [Outgoing(reask + "\n" + render(db, prompt, learner), prompt.id, purpose="reply")]
    correct = grade_answer(db, learner=learner, prompt=prompt, choice=choice, raw=text, now=now,
                           policy=policy, channel=channel)
    verdict = texts.correct_text(lang) if correct else texts.wrong_text(lang, item)
    return _then_next(db, learner, verdict, now=now, channel=channel)


def grade_answer(db: Session, *, learner: Learner, prompt: Prompt, choice: int, raw: str, now: datetime,
                 policy: Policy, channel: str) -> bool:
    """Store the answer to a pending question, advance its card, close the prompt.

    Shared by SMS and voice: whatever the channel, an answer is graded and kept the same way.
    Returns whether it was right.
    """
    item = db.get(Item, prompt.item_id)
    correct = choice == item.answer
    db.add(Answer(learner_id=learner.id, prompt_id=prompt.id, item_id=item.id,
                  training_session_id=prompt.training_session_id, kind=prompt.kind, raw=raw[:1600],
                  choice=choice, correct=correct, channel=channel, answered_at=now))
    record_review(db, learner_id=learner.id, item_id=item.id, correct=correct, now=now, policy=policy)
    _close(db, prompt, now)
    return correct


def record_review(db: Session, *, learner_id: int, item_id: int, correct: bool, now: datetime,
                  policy: Policy) -> Card:
    """Create or advance the learner's card for the item (FSRS, or the policy's scheduler)."""
    card = db.exec(select(Card).where(Card.learner_id == learner_id, Card.item_id == item_id)).first()
    if card is None:
        card = Card(learner_id=learner_id, item_id=item_id, due=now)
    state = policy.review(card.fsrs or None, correct=correct, now=now)
    card.fsrs, card.due, card.state = state, srs.due_of(state), state["state"]
    card.reps += 1
    card.lapses += 0 if correct else 1
    card.last_review = now
    db.add(card)
    db.flush()
    return card


def _rating(db, learner, prompt, text, *, now, channel) -> list[Outgoing]:
    rating = parse_number(text, 1, 5)
    if rating is None:
        prompt.reask_count += 1
        db.add(prompt)
        return [Outgoing(texts.reask_rating_text(learner.language), prompt.id, purpose="reply")]
    record_rating(db, learner=learner, prompt=prompt, rating=rating, now=now)
    return _then_next(db, learner, texts.thanks_rating_text(learner.language), now=now, channel=channel)


def record_rating(db: Session, *, learner: Learner, prompt: Prompt, rating: int, now: datetime) -> None:
    """Store a 1-5 usefulness rating (low ones flagged for the supervisor) and close the prompt."""
    store_rating(db, learner=learner, prompt=prompt, rating=rating, now=now)
    _close(db, prompt, now)


def _comment(db, learner, prompt, text, *, now, channel) -> list[Outgoing]:
    if normalize(text) in SKIP_WORDS or not normalize(text):
        _close(db, prompt, now, status="skipped")
        return _then_next(db, learner, None, now=now, channel=channel)
    store_comment(db, learner=learner, prompt=prompt, comment=text.strip(), now=now)
    _close(db, prompt, now)
    return _then_next(db, learner, texts.thanks_comment_text(learner.language), now=now, channel=channel)


def _close(db: Session, prompt: Prompt, now: datetime, status: str = "answered") -> None:
    prompt.status, prompt.closed_at = status, now
    db.add(prompt)
    db.flush()


def _then_next(db, learner, verdict: str | None, *, now, channel) -> list[Outgoing]:
    """The verdict, then the next queued prompt: one SMS when that costs no extra segment."""
    nxt = activate_next_queued(db, learner, now=now, channel=channel)
    if verdict is None:
        return [nxt] if nxt else []
    if nxt is None:
        return [Outgoing(verdict, purpose="reply")]
    joined = verdict + "\n" + nxt.body
    if count_segments(joined).segments <= count_segments(nxt.body).segments:
        return [Outgoing(joined, nxt.prompt_id, purpose="reply")]
    return [Outgoing(verdict, purpose="reply"), Outgoing(nxt.body, nxt.prompt_id, purpose="reply")]


def _command(db, learner, command, *, now, policy, channel) -> list[Outgoing]:
    kind, arg = command
    lang = learner.language
    if kind == keywords.STOP:
        opt_out(db, learner, now=now, reason="learner sent STOP")
        return [Outgoing(texts.stopped_text(lang), purpose="reply")]
    if kind == keywords.HELP:
        return [Outgoing(texts.help_text(lang), purpose="reply")]
    if kind == keywords.LANG:
        if arg not in LANGUAGES:
            return [Outgoing(texts.language_unknown_text(lang), purpose="reply")]
        learner.language, learner.updated_at = arg, now
        db.add(learner)
        return [Outgoing(texts.language_set_text(arg), purpose="reply")]
    if kind == keywords.SCORE:
        return [Outgoing(score(db, learner), purpose="reply")]
    # QUIZ: a practice question now, or the one already waiting.
    waiting = pending_prompt(db, learner.id)
    if waiting is not None:
        return [Outgoing(render(db, waiting, learner), waiting.id, purpose="reply")]
    card = practice_card(db, learner)
    if card is None:
        return [Outgoing(texts.no_practice_text(lang), purpose="reply")]
    out = create_review(db, card, learner, now=now, kind="practice", channel=channel)
    out.purpose = "reply"
    return [out]


def _start(db, learner, now) -> list[Outgoing]:
    opt_in(db, learner, now=now)  # the paused quiz goes back to the dispatcher, not into this reply
    return [Outgoing(texts.started_text(learner.language), purpose="reply")]


def score(db: Session, learner: Learner) -> str:
    answered, correct = _answer_counts(db, learner.id)
    total = db.exec(select(func.count(Card.id)).where(Card.learner_id == learner.id)).one()
    learned = db.exec(select(func.count(Card.id)).where(Card.learner_id == learner.id, Card.state == 2)).one()
    first = learner.name.split()[0] if learner.name else ""
    return texts.score_text(learner.language, name=first, answered=answered, correct=correct,
                            learned=learned, total=total)


def _answer_counts(db: Session, learner_id: int) -> tuple[int, int]:
    answered = db.exec(select(func.count(Answer.id)).where(Answer.learner_id == learner_id)).one()
    correct = db.exec(select(func.count(Answer.id)).where(Answer.learner_id == learner_id,
                                                           Answer.correct)).one()
    return answered, correct

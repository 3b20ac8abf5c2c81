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

from app.channels.registry import channels
from app.i18n import LANGUAGES
from app.journeys import checkins, milestones
from app.learning import fitting, keywords, srs, texts
from app.learning.conversation import Conversation, load
from app.learning.feedback import store_comment, store_rating
from app.learning.optout import opt_in, opt_out
from app.learning.parsing import normalize, parse_choice, parse_number
from app.learning.policy import Policy
from app.learning.prompts import (
    QUESTION_KINDS,
    Outgoing,
    activate_next,
    create_review,
    pending_prompt,
    practice_card,
    render,
    render_turn,
)
from app.messaging.segments import count_segments
from app.models import Answer, Card, Item, Learner, Prompt
from app.scheduling.reschedule import switch_channel

__all__ = ["grade_answer", "handle_text", "opt_out", "record_rating", "record_review", "score"]

SKIP_WORDS = {"0", "skip", "no", "nahi", "नहीं", "nei", "nee", "-"}


def handle_text(*, db: Session, learner: Learner, text: str, now: datetime, policy: Policy,
                channel: str = "sms", conversation: Conversation | None = None) -> list[Outgoing]:
    """Everything Saathi answers to ``text`` from ``learner``, in order.

    ``conversation``: the learner's open prompts as ``conversation.load`` read them (with
    the learner locked); read here when not given. Nothing is flushed: the caller's flush
    writes the answer, the card, the feedback and the reply records together.
    """
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
    talk = conversation or load(db, now=now, learner=learner)
    if talk.pending is None:
        return [Outgoing(texts.nothing_pending_text(learner.language), purpose="reply")]
    kind = talk.pending.prompt.kind
    if kind in QUESTION_KINDS:
        return _answer(db, talk, text, now=now, policy=policy, channel=channel)
    if kind == "rating":
        return _rating(db, talk, text, now=now, channel=channel)
    if kind == checkins.KIND:
        thanks = checkins.answer(db, learner=learner, prompt=talk.pending.prompt, text=text, now=now, channel=channel)
        return _then_next(db, talk, thanks, now=now, channel=channel)
    if kind == milestones.KIND:
        prompt = talk.pending.prompt
        thanks = milestones.answer(db, learner=learner, prompt=prompt, text=text, now=now, channel=channel)
        if thanks is None:
            prompt.reask_count += 1
            db.add(prompt)
            body = texts.reask_choice_text(learner.language, 2) + "\n" + render_turn(talk.pending, learner)
            return [Outgoing(body, prompt.id, purpose="reply")]
        return _then_next(db, talk, thanks, now=now, channel=channel)
    return _comment(db, talk, text, now=now, channel=channel)


def _answer(db, talk: Conversation, text, *, now, policy, channel) -> list[Outgoing]:
    learner, turn = talk.learner, talk.pending
    prompt, item, lang = turn.prompt, turn.item, talk.learner.language
    choice = parse_choice(text, [[opt.get(lang), opt.get("en")] for opt in item.options], lang)
    if choice is None:
        prompt.reask_count += 1
        db.add(prompt)
        reask = texts.reask_choice_text(lang, len(item.options))
        return [Outgoing(reask + "\n" + render_turn(turn, learner), prompt.id, purpose="reply")]
    correct = _grade(db, learner=learner, prompt=prompt, item=item, card=turn.card, choice=choice,
                     raw=text, now=now, policy=policy.fitted(turn.memory), channel=channel)
    verdict = texts.correct_text(lang) if correct else texts.wrong_text(lang, item)
    return _then_next(db, talk, verdict, now=now, channel=channel)


UNREAD = object()  # not read yet: a card (``record_review``), a pack's weights (``grade_answer``)


def grade_answer(db: Session, *, learner: Learner, prompt: Prompt, choice: int, raw: str, now: datetime,
                 policy: Policy, channel: str, memory: list | None | object = UNREAD) -> bool:
    """Store the answer to a pending question, advance its card, close the prompt.

    Shared by SMS and voice: whatever the channel, an answer is graded and kept the same way.
    Returns whether it was right. Flushed: the prompt is closed before another is put.
    ``memory``: the item's pack's fitted weights when the caller read them with the item
    (``fitting.item_with_parameters``); read here when not given.
    """
    policy = policy.fitted(fitting.parameters_of(db, prompt.item_id) if memory is UNREAD else memory)
    correct = _grade(db, learner=learner, prompt=prompt, item=db.get(Item, prompt.item_id), card=UNREAD,
                     choice=choice, raw=raw, now=now, policy=policy, channel=channel)
    db.flush()
    return correct


def _grade(db: Session, *, learner: Learner, prompt: Prompt, item: Item, card, choice: int, raw: str,
           now: datetime, policy: Policy, channel: str) -> bool:
    correct = choice == item.answer
    db.add(Answer(learner_id=learner.id, prompt_id=prompt.id, item_id=item.id,
                  training_session_id=prompt.training_session_id, kind=prompt.kind, raw=raw[:1600],
                  choice=choice, correct=correct, channel=channel, answered_at=now))
    record_review(db, learner_id=learner.id, item_id=item.id, correct=correct, now=now, policy=policy,
                  card=card)
    _close(prompt, now)
    return correct


def record_review(db: Session, *, learner_id: int, item_id: int, correct: bool, now: datetime,
                  policy: Policy, card: Card | None | object = UNREAD) -> Card:
    """Create or advance the learner's card for the item (FSRS, or the policy's scheduler).

    ``card``: the learner's card for the item when the caller has read it (None: none yet);
    then nothing is read and nothing flushed."""
    read_here = card is UNREAD
    if read_here:
        card = db.exec(select(Card).where(Card.learner_id == learner_id, Card.item_id == item_id)).first()
    if card is None:
        card = Card(learner_id=learner_id, item_id=item_id, due=now)
    state = policy.review(card.fsrs or None, correct=correct, now=now)
    card.fsrs, card.due, card.state = state, srs.due_of(state), state["state"]
    card.reps += 1
    card.lapses += 0 if correct else 1
    card.last_review = now
    db.add(card)
    if read_here:
        db.flush()
    return card


def _rating(db, talk: Conversation, text, *, now, channel) -> list[Outgoing]:
    learner, prompt = talk.learner, talk.pending.prompt
    rating = parse_number(text, 1, 5)
    if rating is None:
        prompt.reask_count += 1
        db.add(prompt)
        return [Outgoing(texts.reask_rating_text(learner.language), prompt.id, purpose="reply")]
    store_rating(db, learner=learner, prompt=prompt, rating=rating, now=now)
    _close(prompt, now)
    return _then_next(db, talk, texts.thanks_rating_text(learner.language), now=now, channel=channel)


def record_rating(db: Session, *, learner: Learner, prompt: Prompt, rating: int, now: datetime) -> None:
    """Store a 1-5 usefulness rating (low ones flagged for the supervisor) and close the prompt."""
    store_rating(db, learner=learner, prompt=prompt, rating=rating, now=now)
    _close(prompt, now)
    db.add(prompt)
    db.flush()


def _comment(db, talk: Conversation, text, *, now, channel) -> list[Outgoing]:
    learner, prompt = talk.learner, talk.pending.prompt
    if normalize(text) in SKIP_WORDS or not normalize(text):
        _close(prompt, now, status="skipped")
        return _then_next(db, talk, None, now=now, channel=channel)
    store_comment(db, learner=learner, prompt=prompt, comment=text.strip(), now=now)
    _close(prompt, now)
    return _then_next(db, talk, texts.thanks_comment_text(learner.language), now=now, channel=channel)


def _close(prompt: Prompt, now: datetime, status: str = "answered") -> None:
    """Closed in memory; written with the prompt put next (``prompts.activate_next``) or by
    the caller's flush."""
    prompt.status, prompt.closed_at = status, now


def _then_next(db, talk: Conversation, verdict: str | None, *, now, channel) -> list[Outgoing]:
    """The verdict, then the next queued prompt: one SMS when that costs no extra segment."""
    nxt = activate_next(db, talk, now=now, channel=channel, after=talk.pending.prompt)
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
        old_channel, learner.channel = learner.channel, channels.reachable(db, arg, learner.channel)
        db.add(learner)
        if learner.channel != old_channel:  # no voice speaks it: what was to be called goes by SMS
            switch_channel(db, learner, old_channel=old_channel, now=now)
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

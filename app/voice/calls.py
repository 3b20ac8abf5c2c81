"""Planning a quiz call, and putting its prompts back when a call ends early.

A call carries what an SMS would have sent one at a time: the learner's queued
post-session prompts, then due cards, up to ``max_questions`` questions. Its first
question is marked pending at once, as an SMS prompt is when it goes to the outbox, so
the planner leaves the learner alone while the call is dialled; during the call the
question being asked is the pending one. Prompts a call never got an answer to are
released, never graded: they come again, as an unanswered SMS question does.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from sqlmodel import Session, select

from app.db import locked
from app.learning.policy import Policy
from app.learning.prompt_kinds import QUESTION_KINDS, REQUEUED_KINDS, VOICE_KINDS
from app.learning.prompts import mark_sent, pending_prompt
from app.learning.prompts import put_back as release
from app.models import Card, Item, Learner, Outbox, Prompt, Site, VoiceCall
from app.models.voice import OPEN_CALL_STATUSES
from app.scheduling.window import in_window, next_window_start
from app.voice.settings import VoiceOptions

CALL_PATH = "/twilio/voice"


def call_url(base: str, token: str) -> str:
    return f"{base}{CALL_PATH}?call={token}"


def token_of(url: str) -> str | None:
    """The call token in a call's TwiML URL (an outbox row's body)."""
    return (parse_qs(urlsplit(url).query).get("call") or [None])[0]


def call_of_row(db: Session, row: Outbox) -> VoiceCall | None:
    token = token_of(row.body)
    return db.exec(select(VoiceCall).where(VoiceCall.token == token)).first() if token else None


def open_calls(db: Session, learner_id: int) -> list[VoiceCall]:
    return list(db.exec(select(VoiceCall).where(VoiceCall.learner_id == learner_id,
                                                VoiceCall.status.in_(OPEN_CALL_STATUSES))
                        .order_by(VoiceCall.id)).all())


def prompts_of(db: Session, call: VoiceCall) -> list[Prompt]:
    """The call's prompts in the order it asks them."""
    by_id = {p.id: p for p in db.exec(select(Prompt).where(Prompt.id.in_(call.prompt_ids))).all()}
    return [by_id[pid] for pid in call.prompt_ids if pid in by_id]


def choose_prompts(db: Session, learner: Learner, *, now: datetime, limit: int,
                   practice: bool = False) -> list[Prompt]:
    """What one call should ask, in order: the waiting prompt, queued ones, then due cards.

    With ``practice`` (a callback, the simulator) a learner with nothing due practises the
    cards due soonest instead, as the QUIZ keyword does over SMS.
    """
    chosen: list[Prompt] = []
    questions = 0
    waiting = pending_prompt(db, learner.id)
    if waiting is not None:
        chosen.append(waiting)
        questions += waiting.kind in QUESTION_KINDS
    queued = db.exec(select(Prompt).where(Prompt.learner_id == learner.id, Prompt.status == "queued",
                                          Prompt.due_at <= now)
                     .order_by(Prompt.due_at, Prompt.training_session_id, Prompt.seq, Prompt.id)).all()
    for prompt in queued:
        if prompt.kind in QUESTION_KINDS:
            if questions >= limit:
                break
            questions += 1
        chosen.append(prompt)
    if questions < limit:
        busy_items = {p.item_id for p in db.exec(select(Prompt).where(
            Prompt.learner_id == learner.id, Prompt.status.in_(("queued", "pending")),
            Prompt.item_id.is_not(None))).all()}
        cards = _cards(db, learner, busy_items, due_by=now, limit=limit - questions)
        kind = "review"
        if not cards and questions == 0 and practice:
            cards, kind = _cards(db, learner, busy_items, due_by=None, limit=limit), "practice"
        for card in cards:
            prompt = Prompt(learner_id=learner.id, kind=kind, item_id=card.item_id,
                            due_at=min(card.due, now), created_at=now)
            db.add(prompt)
            chosen.append(prompt)
        db.flush()
    return chosen


def _cards(db, learner, busy_items, *, due_by, limit) -> list[Card]:
    query = (select(Card).join(Item, Item.id == Card.item_id)
             .where(Card.learner_id == learner.id, Item.active).order_by(Card.due, Card.id))
    if due_by is not None:
        query = query.where(Card.due <= due_by)
    if busy_items:
        query = query.where(Card.item_id.not_in(busy_items))
    return list(db.exec(query.limit(limit)).all())


def review_call_at(dues, *, min_questions: int, wait):
    """When a call of reviews alone may be placed (the batching rule, ``VoiceOptions``).

    ``dues``: when the cards a call could ask fall due, earliest first (at least the first
    ``min_questions`` of them). The call goes when the ``min_questions``-th is due, or once
    the earliest has waited ``wait``, whichever comes first; None without a card. One rule
    for the planner (datetimes, ``wait`` a timedelta) and the simulator (microseconds on
    its integer clock, ``wait`` in microseconds too). ``min_questions`` 1: the first due.
    """
    if not dues:
        return None
    at = dues[0] + wait
    if len(dues) >= min_questions:
        at = min(at, dues[max(min_questions, 1) - 1])
    return at


def held_until(db: Session, learner: Learner, *, now: datetime, options: VoiceOptions) -> datetime | None:
    """When a review-only call held back for batching may go; None if it may go now.

    Held back only with cards due and nothing else waiting: a queued post-session prompt
    (the quiz after a session) is never held, nor is a callback (it does not come here).
    """
    n = options.batch_questions
    if n <= 1:
        return None
    if db.exec(select(Prompt.id).where(Prompt.learner_id == learner.id, Prompt.status == "queued",
                                       Prompt.due_at <= now).limit(1)).first() is not None:
        return None
    busy_items = {p.item_id for p in db.exec(select(Prompt).where(
        Prompt.learner_id == learner.id, Prompt.status.in_(("queued", "pending")),
        Prompt.item_id.is_not(None))).all()}
    dues = [card.due for card in _cards(db, learner, busy_items, due_by=None, limit=n)]
    if not dues or dues[0] > now:
        return None  # nothing due: build_call finds nothing, as before
    at = review_call_at(dues, min_questions=n, wait=options.batch_wait)
    return at if at > now else None


def build_call(db: Session, learner: Learner, *, now: datetime, options: VoiceOptions,
               purpose: str = "quiz") -> VoiceCall | None:
    """A call carrying the learner's due prompts, its first question already pending; or None."""
    if not learner.active:
        return None
    for stale in open_calls(db, learner.id):  # superseded: its prompts go back first
        end_call(db, stale, now=now, status="abandoned")
    prompts = choose_prompts(db, learner, now=now, limit=options.max_questions,
                             practice=purpose != "quiz")
    askable = [p for p in prompts if p.kind in VOICE_KINDS]
    if not askable:
        if not learner.uses_sms:
            # Only a greeting or a comment request is left: neither can be put by keypad.
            for prompt in prompts:
                _close(db, prompt, now, "skipped")
        return None
    waiting = pending_prompt(db, learner.id)
    if waiting is not None and waiting.id != askable[0].id:
        release(db, waiting, now=now)  # a comment awaited by SMS: asked again after the call
    mark_sent(db, askable[0], now=now, channel="voice")
    call = VoiceCall(token=secrets.token_urlsafe(16), learner_id=learner.id, purpose=purpose,
                     prompt_ids=[p.id for p in prompts], created_at=now, updated_at=now)
    db.add(call)
    db.flush()
    return call


def dial(db: Session, call: VoiceCall, learner: Learner, *, now: datetime, purpose: str,
         base_url: str, at: datetime | None = None) -> Outbox:
    """An outbox row that places (or re-places) ``call``: body is its TwiML URL at ``base_url``
    (``VoiceOptions.base_url``; a retry keeps the address its first dial used)."""
    waiting = pending_prompt(db, learner.id)
    row = Outbox(learner_id=learner.id, prompt_id=waiting.id if waiting else None, kind="call", purpose=purpose,
                 to_number=learner.phone, body=call_url(base_url, call.token),
                 segments=0, status="queued", next_attempt_at=at or now, created_at=now, updated_at=now)
    db.add(row)
    return row


def plan_call(db: Session, learner: Learner, *, now: datetime, policy: Policy, options: VoiceOptions,
              stats=None) -> Outbox | None:
    """The planner's hook for a voice learner: one call instead of one SMS (one capped contact).

    Runs inside the planner's window and cap checks, on whatever thread the pass runs:
    everything it needs (the voice settings, where Twilio fetches TwiML) comes in ``options``. A call of reviews alone waits for
    ``min_questions`` due cards (``held_until``): the learner is looked at again then.
    """
    held = held_until(db, learner, now=now, options=options)
    if held is not None:
        learner.next_contact_at = held
        return None
    call = build_call(db, learner, now=now, purpose="quiz", options=options)
    if call is None:
        learner.next_contact_at = None
        return None
    if stats is not None:
        stats.planned += 1
    return dial(db, call, learner, now=now, purpose="prompt", base_url=options.base_url)


def _close(db: Session, prompt: Prompt, now: datetime, status: str) -> None:
    prompt.status, prompt.closed_at = status, now
    db.add(prompt)
    db.flush()


def end_call(db: Session, call: VoiceCall, *, now: datetime, status: str) -> None:
    """Close a call: whatever it still holds goes back for another day (or another channel)."""
    if call.status not in OPEN_CALL_STATUSES:
        return
    for prompt in prompts_of(db, call):
        if prompt.status == "pending" or (prompt.status == "queued" and prompt.kind not in REQUEUED_KINDS):
            release(db, prompt, now=now)
    call.status, call.ended_at, call.updated_at, call.awaiting = status, now, now, None
    db.add(call)
    db.flush()


def next_contact_after(db: Session, learner: Learner, call: VoiceCall, *, now: datetime,
                       options: VoiceOptions) -> datetime | None:
    """When the planner may contact the learner again after ``call`` ended.

    A learner who also takes SMS gets the rest by SMS at once (the planner's default for
    them); a voice-only learner is called again after a gap, inside the window.
    """
    site = db.get(Site, learner.site_id)
    if call.status == "failed":
        if learner.uses_sms:
            return None
        return next_window_start(now + timedelta(minutes=1), learner, site)
    return within_window(now + options.call_gap, learner, site)


def within_window(when: datetime, learner: Learner, site: Site) -> datetime:
    return when if in_window(when, learner, site) else next_window_start(when, learner, site)


IN_FLIGHT = ("queued", "sending", "accepted")


def dials_of(db: Session, call: VoiceCall, statuses: tuple[str, ...] = IN_FLIGHT) -> list[Outbox]:
    """The outbox rows dialling ``call`` (queued, being placed, or awaiting their outcome)."""
    return list(db.exec(select(Outbox).where(
        Outbox.learner_id == call.learner_id, Outbox.kind == "call", Outbox.status.in_(statuses),
        Outbox.body.endswith(f"?call={call.token}", autoescape=True)).order_by(Outbox.id)).all())


def call_in_flight(db: Session, call: VoiceCall) -> bool:
    return bool(dials_of(db, call))


def expire_stale(db: Session, prompt: Prompt, learner: Learner, *, now: datetime, policy: Policy,
                 stats=None) -> None:
    """The planner's hook for a prompt a call left pending: never an SMS reminder.

    While a dial of its call is still queued or under way the prompt waits (up to the
    prompt expiry); otherwise the call is over without telling us, and is closed.
    """
    holder = next((c for c in open_calls(db, learner.id) if prompt.id in c.prompt_ids), None)
    if holder is not None and call_in_flight(db, holder) and prompt.last_sent_at > now - policy.prompt_expiry:
        return
    if holder is not None:
        end_call(db, holder, now=now, status="expired")
    else:
        release(db, prompt, now=now)
    site = db.get(Site, learner.site_id)
    learner.next_contact_at = next_window_start(now + timedelta(minutes=1), learner, site)
    db.add(learner)
    if stats is not None:
        stats.expired += 1
    return


def call_instead_of_sms(db: Session, row: Outbox, *, now: datetime, options: VoiceOptions) -> Outbox | None:
    """Voice as the fallback of a prompt SMS that could not be delivered (channel "both").

    Meant for the delivery code, once an SMS prompt is given up on: the prompt is put back
    and the learner is called with it instead, as the same contact (no second count against
    the daily cap). None when the learner takes no calls, or nothing can be asked.
    """
    learner = db.get(Learner, row.learner_id) if row.learner_id else None
    if learner is None or not learner.uses_voice or row.kind != "sms" or not learner.active:
        return None
    prompt = db.get(Prompt, row.prompt_id) if row.prompt_id else None
    if prompt is not None and prompt.status == "pending":
        release(db, prompt, now=now)
    call = build_call(db, learner, now=now, purpose="quiz", options=options)
    if call is None:
        return None
    site = db.get(Site, learner.site_id)
    return dial(db, call, learner, now=now, purpose="retry", base_url=options.base_url,
                at=within_window(now, learner, site))


def call_off(db: Session, learner: Learner, *, now: datetime) -> tuple[int, int]:
    """Calls not dialled yet are called off; what they carried goes back to be sent another way.
    Returns (calls cancelled, prompts released).

    A call already ringing or under way is left to finish: hanging up on a learner who is
    answering would lose the answers. Its end puts back what it did not ask.
    """
    calls = released = 0
    for call in open_calls(db, learner.id):
        if call.status != "planned" or dials_of(db, call, ("sending", "accepted")):
            continue
        for row in dials_of(db, call, ("queued",)):
            row.status, row.updated_at = "cancelled", now
            db.add(row)
        pending_before = {p.id for p in db.exec(select(Prompt).where(
            Prompt.id.in_(call.prompt_ids), Prompt.status == "pending")).all()}
        end_call(db, call, now=now, status="abandoned")
        calls += 1
        released += len(pending_before)
    return calls, released


def stop_calls(db: Session, learner: Learner, *, now: datetime) -> None:
    """STOP: every open call of the learner ends now, its unanswered prompts put back first.

    Locked: a Gather callback of a running call locks its call first, so it either graded
    its question before this (and the answer stands) or finds the call stopped.
    """
    for call in db.exec(locked(select(VoiceCall).where(VoiceCall.learner_id == learner.id,
                                                       VoiceCall.status.in_(OPEN_CALL_STATUSES)))).all():
        end_call(db, call, now=now, status="stopped")

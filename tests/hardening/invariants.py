"""What must hold in the database whatever was posted: the fuzz tests check it after
every input, so a wrong row is caught by the input that wrote it.

Each check returns a list of problems (empty when all is well) so a test can name every
broken promise at once; ``assert_store_sound`` asserts none.
"""
from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from app.learning.prompts import QUESTION_KINDS
from app.models import Answer, Feedback, Inbound, Learner, Outbox, Prompt

MAX_TEXT = 1600
# What reaches a phone without the learner asking, as against a reply in the webhook's TwiML.
UNSOLICITED = ("prompt", "reminder", "notice", "callback")
REACHED_PROVIDER = ("accepted", "sent", "delivered", "undelivered", "failed")


def one_pending_prompt_per_learner(db: Session) -> list[str]:
    rows = db.exec(select(Prompt.learner_id, func.count()).where(Prompt.status == "pending")
                   .group_by(Prompt.learner_id).having(func.count() > 1)).all()
    return [f"learner {lid} has {n} pending prompts" for lid, n in rows]


def inbound_once_and_bounded(db: Session) -> list[str]:
    """Counted in SQL: a long fuzz run stores tens of thousands of rows, checked after each."""
    problems = [f"MessageSid {sid!r} stored {n} times" for sid, n in db.exec(
        select(Inbound.sid, func.count()).group_by(Inbound.sid).having(func.count() > 1)).all()]
    odd = func.length(Inbound.body) > MAX_TEXT
    if db.get_bind().dialect.name == "sqlite":  # PostgreSQL cannot store a NUL at all
        odd = odd | (func.instr(Inbound.body, "\x00") > 0) | (func.instr(Inbound.sid, "\x00") > 0)
    for row_id, length in db.exec(select(Inbound.id, func.length(Inbound.body)).where(odd)).all():
        problems.append(f"inbound {row_id} stored unbounded or with NUL ({length} chars)")
    return problems


def answers_belong_to_their_prompts(db: Session) -> list[str]:
    """Every answer is to a question prompt of the same learner, about the same item, once;
    every rating or comment to a feedback prompt of the same learner."""
    problems = []
    for answer, prompt in db.exec(select(Answer, Prompt).join(Prompt, Prompt.id == Answer.prompt_id)).all():
        if prompt.learner_id != answer.learner_id:
            problems.append(f"answer {answer.id} of learner {answer.learner_id} is on learner "
                            f"{prompt.learner_id}'s prompt {prompt.id}")
        if prompt.kind not in QUESTION_KINDS or prompt.item_id != answer.item_id:
            problems.append(f"answer {answer.id} is on a {prompt.kind} prompt (item {prompt.item_id}, "
                            f"answer says {answer.item_id})")
        if prompt.status != "answered":
            problems.append(f"prompt {prompt.id} has an answer but is {prompt.status}")
        if len(answer.raw) > MAX_TEXT:
            problems.append(f"answer {answer.id} raw text unbounded")
    for fb in db.exec(select(Feedback)).all():
        # One row per learner and session: the rating's prompt and the comment's, each checked.
        for kind, prompt_id, given in (("rating", fb.prompt_id, fb.rating is not None),
                                       ("comment", fb.comment_prompt_id, fb.comment is not None)):
            prompt = db.get(Prompt, prompt_id) if prompt_id else None
            if given and prompt is None:
                problems.append(f"feedback {fb.id} has a {kind} but no {kind} prompt")
            elif prompt is not None and (prompt.learner_id != fb.learner_id or prompt.kind != kind
                                         or prompt.training_session_id != fb.training_session_id):
                problems.append(f"feedback {fb.id} ({kind}) is on {prompt.kind} prompt {prompt.id} "
                                f"of learner {prompt.learner_id}, not {fb.learner_id}")
        if fb.rating is not None and not 1 <= fb.rating <= 5:
            problems.append(f"feedback {fb.id} has rating {fb.rating}")
        if len(fb.comment or "") > MAX_TEXT:
            problems.append(f"feedback {fb.id} comment unbounded")
    orphans = db.exec(select(func.count()).select_from(Answer).where(
        Answer.prompt_id.not_in(select(Prompt.id)))).one()
    if orphans:
        problems.append(f"{orphans} answers without their prompt")
    return problems


def nothing_for_the_opted_out(db: Session) -> list[str]:
    """An opted-out learner has nothing pending or queued, and nothing unsolicited went
    to them after they opted out."""
    problems = []
    for learner in db.exec(select(Learner).where(Learner.status == "opted_out")).all():
        pending = db.exec(select(func.count()).select_from(Prompt).where(
            Prompt.learner_id == learner.id, Prompt.status.in_(("pending", "queued")))).one()
        if pending:
            problems.append(f"opted-out learner {learner.id} still has {pending} open prompts")
        waiting = db.exec(select(func.count()).select_from(Outbox).where(
            Outbox.learner_id == learner.id, Outbox.status.in_(("queued", "sending")))).one()
        if waiting:
            problems.append(f"opted-out learner {learner.id} still has {waiting} messages waiting to go")
        if learner.opted_out_at is not None:
            sent = db.exec(select(func.count()).select_from(Outbox).where(
                Outbox.learner_id == learner.id, Outbox.purpose.in_(UNSOLICITED),
                Outbox.status.in_(REACHED_PROVIDER), Outbox.sent_at > learner.opted_out_at)).one()
            if sent:
                problems.append(f"{sent} messages sent to learner {learner.id} after they opted out")
    return problems


def woken_in_time(db: Session, *, now, policy) -> list[str]:
    """No active learner's ``wake_at`` lies after the moment the dispatcher has work for
    them (a card or queued prompt due, a reminder, the end of a hold): the planner claims
    learners by it, so a late one would simply never be asked."""
    from app.scheduling.planner import wake_for

    problems = []
    for learner in db.exec(select(Learner).where(Learner.status == "active")).all():
        due = wake_for(db, learner, now=now, policy=policy)
        if due is not None and (learner.wake_at is None or learner.wake_at > due):
            problems.append(f"learner {learner.id} wakes at {learner.wake_at}, has work at {due}")
    return problems


CHECKS = (one_pending_prompt_per_learner, inbound_once_and_bounded, answers_belong_to_their_prompts,
          nothing_for_the_opted_out)


def problems(db: Session) -> list[str]:
    db.expire_all()
    return [p for check in CHECKS for p in check(db)]


def assert_store_sound(db: Session, context: object = "") -> None:
    found = problems(db)
    assert not found, f"{context}\n" + "\n".join(found)

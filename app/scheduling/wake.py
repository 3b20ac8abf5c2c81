"""``learner.wake_at``: when the dispatcher next has something to do for a learner.

The planner claims learners by this column instead of searching the cards and prompts of
everyone, so it must never be late: a learner whose wake time lies after their next due
card would simply not be asked. Rather than trusting every code path (a session held, an
answer, STOP and START, a changed window, a call that ended, an item brought back) to
remember it, a session hook watches what each transaction changes and lowers the wake
time of the learners concerned: to the new due time of a card or queued prompt, or to
"now" (``WAKE_NOW``) for anything else that might bring work forward. Early costs one
look by the planner, which then writes the exact time (``next_wake``) for the learners it
looked at (``settle``); the hook leaves those alone.

One UPDATE per transaction, issued when it commits, carries all the lowering (one per
``CHUNK`` learners when a transaction touches thousands). The rule, "earlier wins, NULL
loses", is spelled once (``_lowering_sql``): the same text runs on its own at commit, on
either database, and as the tail of ``bulk.write_changes``'s one statement for an answer
on PostgreSQL, whose chain takes its ``WITH`` in with the writes in front of it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from sqlalchemy import Integer, TextClause, bindparam, event, inspect, select, text, update
from sqlmodel import Session

from app.bulk import update_rows, write_changes
from app.models import Card, Item, Learner, Prompt

# "As soon as the planner can": earlier than any clock, real or simulated.
WAKE_NOW = datetime(2000, 1, 1, tzinfo=UTC)
# A learner just looked at, with nothing changed, is not looked at again before this: no
# learner can keep a pass busy (a call still ringing, a prompt held by its call).
RECHECK = timedelta(minutes=1)
# Learner columns whose change can bring a contact forward.
# Prompt columns that decide when the planner next looks (a call's prompt is looked at
# sooner than a text's, whose reminders are spent).
PROMPT_FIELDS = ("status", "due_at", "channel", "last_sent_at", "reminders_sent")
LEARNER_FIELDS = ("status", "channel", "timezone", "site_id", "cohort_id", "next_contact_at")
_PENDING = "saathi.wake"  # session.info: {learner_id: earliest wake} not yet written
_ITEMS = "saathi.wake_items"  # session.info: items brought back (their learners wake)
_SETTLED = "saathi.wake_settled"  # session.info: learners the planner set exactly
# Learners lowered by one statement: two parameters each, far below either database's bound
# on a statement's parameters (PostgreSQL 65,535, SQLite 32,766).
CHUNK = 1000
# Channels whose prompts get no reminder: the channel closes them itself (a call). Filled
# by ``app.channels.registry`` as channels register, so timing needs no channel's name.
SELF_CLOSING: set[str] = set()


@dataclass(frozen=True)
class Waiting:
    """A learner's pending prompt, as far as its timing goes (``last_sent_at`` None: not
    recorded as sent, see ``pending_due``)."""

    channel: str | None
    last_sent_at: datetime | None
    reminders_sent: int


def next_wake(*, now: datetime, policy, hold: datetime | None, pending: Waiting | None,
              first_due: datetime | None) -> datetime | None:
    """The exact moment the planner next has work for a learner, from what it found.

    A pending prompt is looked at again when a reminder (or, reminders spent, its expiry)
    falls due; otherwise the first queued prompt or card. A hold (a window not yet open, a
    cap reached, a gap after a call) puts it later. Never sooner than ``RECHECK``.
    """
    if pending is not None:
        at = pending_due(policy, pending)
    else:
        at = first_due
    if at is None:
        return None
    if hold is not None and hold > at:
        at = hold
    return max(at, now + RECHECK)


def pending_due(policy, pending: Waiting) -> datetime:
    """When a pending prompt needs the planner: its reminder, or (reminders spent) its expiry.
    A call's prompt gets no reminder; it is looked at then to see whether the call is over.

    A prompt pending with no send time recorded (every path that makes one pending records
    it: ``prompts.mark_sent``, ``review_batch``; so a row written by other means) is due at
    once: reminded, which records the time, or expired. Counting it as sent "now" at each
    look would put its reminder off at every look, and the one pending prompt a learner may
    have would hold them for good; leaving it out would let its learner sleep past it.
    """
    if pending.last_sent_at is None:
        return WAKE_NOW
    spent = pending.channel not in SELF_CLOSING and pending.reminders_sent >= policy.reminders
    return pending.last_sent_at + (policy.prompt_expiry if spent else policy.reminder_after)


def lower(db: Session, learner_id: int, when: datetime) -> None:
    """Wake ``learner_id`` by ``when`` at the latest (written when the transaction commits)."""
    pending = db.info.setdefault(_PENDING, {})
    if learner_id not in pending or when < pending[learner_id]:
        pending[learner_id] = when


def prompt_written(db: Session, prompt: Prompt) -> None:
    """A prompt was written: its learner wakes by its due time if it waits in the queue,
    else at once (the planner looks at a closed, re-sent or newly pending prompt). Called
    by the hook, and by code that writes prompts with a statement of its own."""
    lower(db, prompt.learner_id, prompt.due_at if prompt.status == "queued" and prompt.due_at else WAKE_NOW)


def settle(db: Session, wakes: dict[int, datetime | None], *, holds: dict[int, datetime] | None = None) -> None:
    """Write the exact wake times the planner computed for learners it holds locked; a
    learner in ``holds`` may not be contacted before its time (a window not open, a cap
    reached) and wakes then."""
    holds = holds or {}
    update_rows(db, Learner.__table__, [{"id": lid, "wake_at": when} for lid, when in wakes.items()])
    update_rows(db, Learner.__table__, [{"id": lid, "wake_at": when, "next_contact_at": when}
                                        for lid, when in holds.items()])
    db.info.setdefault(_SETTLED, set()).update(wakes, holds)


def _changed(obj, *names: str) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _collect(db: Session, flush_context, instances) -> None:
    for obj in list(db.new) + list(db.dirty):
        new = obj in db.new
        if isinstance(obj, Prompt) and obj.learner_id and (new or _changed(obj, *PROMPT_FIELDS)):
            prompt_written(db, obj)
        elif isinstance(obj, Card) and obj.learner_id and obj.due and (new or _changed(obj, "due")):
            lower(db, obj.learner_id, obj.due)
        elif isinstance(obj, Learner) and obj.id and not new and _changed(obj, *LEARNER_FIELDS):
            lower(db, obj.id, WAKE_NOW)
        elif isinstance(obj, Item) and obj.id and not new and obj.active and _changed(obj, "active"):
            db.info.setdefault(_ITEMS, set()).add(obj.id)


def _write(db: Session) -> None:
    """Before the commit: one UPDATE (per ``CHUNK``) lowering every learner this transaction
    touched, in id order (two transactions lock shared learners in the same order)."""
    db.flush()  # what is still unflushed is collected first (the commit's own flush comes after)
    rows = _rows(db)
    items = db.info.pop(_ITEMS, set())
    db.info.pop(_SETTLED, None)
    _lower(db, rows)
    if items:
        table = Learner.__table__
        learners = select(Card.learner_id).where(Card.item_id.in_(items))
        db.execute(update(table).where(table.c.id.in_(learners)).values(wake_at=WAKE_NOW))


def write_with_changes(db: Session) -> None:
    """Write the session's changes and the wake times they lower, in one statement on
    PostgreSQL (``bulk.write_changes``): the end of a request that only adds rows and
    changes a few (an answer). A learner row changed too is flushed as usual, since one
    statement may not update the same row twice."""
    if db.get_bind().dialect.name != "postgresql" or any(isinstance(obj, Learner) for obj in db.dirty):
        db.flush()  # the rest at commit (``_write``)
        return
    _collect(db, None, None)
    rows = _rows(db)
    if not rows:
        write_changes(db)
        return
    first = _padded(rows[:CHUNK])
    sql, binds, _statement = _lowering_sql(len(first))
    write_changes(db, then=(sql, _params(first), binds))
    _lower(db, rows[CHUNK:])  # more than an answer lowers: on their own


def _rows(db: Session) -> list[tuple[int, datetime]]:
    """The wake times collected and not yet written, but for learners the planner settled."""
    wakes = db.info.pop(_PENDING, {})
    settled = db.info.get(_SETTLED, set())
    return sorted((lid, when) for lid, when in wakes.items() if lid not in settled)


def _lower(db: Session, rows: list[tuple[int, datetime]]) -> None:
    """Lower the wake times of ``rows``, a statement per ``CHUNK`` learners."""
    for start in range(0, len(rows), CHUNK):
        chunk = _padded(rows[start:start + CHUNK])
        db.execute(_lowering_sql(len(chunk))[2], _params(chunk))


def _padded(rows: list[tuple[int, datetime]]) -> list[tuple[int, datetime]]:
    """``rows`` made up to a power of two (at most ``CHUNK``) by repeating the last: eleven
    statement sizes in all, each built and compiled once, where every new count of learners
    built and compiled a statement of its own. A repeated row changes nothing: earlier wins."""
    size = min(1 << (len(rows) - 1).bit_length(), CHUNK)
    return rows + rows[-1:] * (size - len(rows))


def _params(rows: list[tuple[int, datetime]]) -> dict:
    params = {f"lid_{n}": lid for n, (lid, _w) in enumerate(rows)}
    params.update({f"wake_{n}": when for n, (_l, when) in enumerate(rows)})
    return params


@lru_cache(maxsize=16)  # the sizes _padded makes: 1, 2, 4, ... 512, CHUNK
def _lowering_sql(count: int) -> tuple[str, tuple, TextClause]:
    """Lower ``learner.wake_at`` for ``count`` learners: earlier wins, NULL loses. The SQL,
    its typed ``bindparam``s (``write_changes`` chains the text with them) and the statement.

    ``WITH`` and ``UPDATE ... FROM``, which both databases accept (SQLite rejects the shorter
    ``FROM (VALUES ...) AS v(lid, wake)``). Built once per count (``_padded`` keeps the counts
    few): building the text and its typed parameters costs more than sending it."""
    pairs = ", ".join(f"(:lid_{n}, :wake_{n})" for n in range(count))
    sql = (f"WITH v(lid, wake) AS (VALUES {pairs}) "
           f"UPDATE learner SET wake_at = CASE WHEN learner.wake_at IS NULL OR learner.wake_at > v.wake "
           f"THEN v.wake ELSE learner.wake_at END FROM v WHERE learner.id = v.lid")
    wake_type = Learner.__table__.c.wake_at.type
    binds = tuple(b for n in range(count) for b in (bindparam(f"lid_{n}", type_=Integer),
                                                      bindparam(f"wake_{n}", type_=wake_type)))
    return sql, binds, text(sql).bindparams(*binds)


def _forget(db: Session, *_args) -> None:
    for key in (_PENDING, _ITEMS, _SETTLED):
        db.info.pop(key, None)


def install(session_class: type = Session) -> None:
    """Attach the hook to every session of ``session_class`` (idempotent)."""
    if not event.contains(session_class, "before_flush", _collect):
        event.listen(session_class, "before_flush", _collect)
        event.listen(session_class, "before_commit", _write)
        event.listen(session_class, "after_rollback", _forget)



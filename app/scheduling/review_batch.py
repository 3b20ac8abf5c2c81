"""Writing a chunk's due reviews: a pending prompt and a queued SMS per learner, in bulk.

Two ways to the same rows. Anywhere: the prompts in one INSERT (their ids come back by
learner), then the outbox rows in another. On PostgreSQL, one statement does both (the
outbox INSERT reads the prompt INSERT's RETURNING in a CTE), and the per-learner data
sent is three arrays of numbers and times: the question texts go once per item and
language, not once per learner. At a few thousand learners a second the difference is
the planner's whole budget.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session

from app.bulk import insert_rows
from app.channels.outbox import queued_message
from app.db import is_postgres
from app.learning.prompts import Outgoing
from app.models import Outbox, Prompt
from app.models.types import UTCDateTime

# (learner, item id, card due) for each learner; body(item id, language) -> (text, SegmentInfo)
Reviews = Sequence[tuple[object, int, datetime]]
# What a channel may add to a bulk row (``Channel.bulk_columns``): DLT's IDs and header.
EXTRA = ("dlt_entity_id", "dlt_template_id", "sender")

_BOTH = text("""
WITH due (learner_id, item_id, due_at, dlt_entity_id, dlt_template_id, sender) AS (
    SELECT * FROM unnest(CAST(:learners AS INTEGER[]), CAST(:items AS INTEGER[]), CAST(:dues AS TIMESTAMP[]),
                         CAST(:entities AS VARCHAR[]), CAST(:templates AS VARCHAR[]), CAST(:senders AS VARCHAR[]))),
texts (item_id, language, body, encoding, segments) AS (
    SELECT * FROM unnest(CAST(:t_items AS INTEGER[]), CAST(:t_languages AS VARCHAR[]), CAST(:t_bodies AS VARCHAR[]),
                         CAST(:t_encodings AS VARCHAR[]), CAST(:t_segments AS INTEGER[]))),
prompts AS (
    INSERT INTO prompt (learner_id, kind, status, item_id, seq, due_at, sent_at, channel, reminders_sent,
                        reask_count, last_sent_at, created_at)
    SELECT learner_id, 'review', 'pending', item_id, 0, due_at, :now, 'sms', 0, 0, :now, :now FROM due
    RETURNING id, learner_id, item_id)
INSERT INTO outbox (learner_id, prompt_id, kind, purpose, to_number, body, encoding, segments, status, attempts,
                    uncertain, next_attempt_at, created_at, updated_at, dlt_entity_id, dlt_template_id, sender)
SELECT p.learner_id, p.id, 'sms', 'prompt', l.phone, t.body, t.encoding, t.segments, 'queued', 0, false,
       :now, :now, :now, d.dlt_entity_id, d.dlt_template_id, d.sender
FROM prompts p JOIN learner l ON l.id = p.learner_id JOIN due d ON d.learner_id = p.learner_id
JOIN texts t ON t.item_id = p.item_id AND t.language = l.language
""")


def write_reviews(db: Session, reviews: Reviews, *, body: Callable, now: datetime,
                  extra: dict[int, dict] | None = None) -> None:
    """Prompts and outbox rows for ``reviews``; raises IntegrityError if one of these learners
    already has a pending prompt (the caller's savepoint then undoes all of it). ``extra``:
    learner id -> the ``EXTRA`` columns their row carries (a DLT text's IDs and header)."""
    extra = extra or {}
    if is_postgres(db):
        _in_one_statement(db, reviews, body=body, now=now, extra=extra)
        return
    prompts = [{"learner_id": c.id, "kind": "review", "status": "pending", "item_id": item_id, "seq": 0,
                "due_at": due, "sent_at": now, "channel": "sms", "reminders_sent": 0, "reask_count": 0,
                "last_sent_at": now, "created_at": now} for c, item_id, due in reviews]
    # Matched by learner (one prompt each), not by position: ordered RETURNING would make
    # SQLite insert row by row.
    ids = dict(insert_rows(db, Prompt.__table__, prompts, returning=("learner_id", "id")))
    insert_rows(db, Outbox.__table__, [{**queued_message(c, Outgoing(body(item_id, c.language)[0], ids[c.id]),
                                                         now=now, info=body(item_id, c.language)[1]),
                                        **_extra(extra, c.id)}
                                       for c, item_id, _due in reviews])


def _extra(extra: dict[int, dict], learner_id: int) -> dict:
    """The ``EXTRA`` columns of one row, every key present (a bulk INSERT takes one shape)."""
    mine = extra.get(learner_id) or {}
    return {name: mine.get(name) for name in EXTRA}


def _in_one_statement(db: Session, reviews: Reviews, *, body: Callable, now: datetime, extra: dict) -> None:
    naive = UTCDateTime().process_bind_param
    texts = {(item_id, c.language): body(item_id, c.language) for c, item_id, _due in reviews}
    db.execute(_BOTH, {
        "learners": [c.id for c, _, _ in reviews], "items": [item_id for _, item_id, _ in reviews],
        "dues": [naive(due, None) for _, _, due in reviews], "now": naive(now, None),
        **{key: [_extra(extra, c.id)[name] for c, _, _ in reviews]
           for key, name in zip(("entities", "templates", "senders"), EXTRA)},
        "t_items": [item_id for item_id, _ in texts], "t_languages": [lang for _, lang in texts],
        "t_bodies": [b for b, _ in texts.values()], "t_encodings": [i.encoding for _, i in texts.values()],
        "t_segments": [i.segments for _, i in texts.values()],
    })

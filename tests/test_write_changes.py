"""``bulk.write_changes`` / ``wake.write_with_changes``: a request's writes in one statement.

The answer path ends by writing what it added and changed in one statement on PostgreSQL
(a flush on SQLite). These tests hold it to what a flush would have done: every row there,
a table's rows in the order they were added, changed columns only, the learner's wake time
lowered, and nothing left for the commit to write again.
"""
from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from app.learning.engine import record_review
from app.models import Card, Item, Learner, Outbox
from app.scheduling import wake
from tests.factories import app_policy, make_learners, make_module
from tests.test_answer_cost import counted


def test_rows_added_and_changed_are_all_written_once_in_order(app, db, clock):
    now = clock.now()
    asha, ravi = make_learners(db, now)
    make_module(db)
    item = db.exec(select(Item).order_by(Item.id)).first()
    card = record_review(db, learner_id=asha.id, item_id=item.id, correct=True, now=now, policy=app_policy())
    db.commit()
    db.execute(Learner.__table__.update().values(wake_at=now + timedelta(days=30)))
    db.commit()

    later = now + timedelta(days=9)
    card.due, card.reps = later, card.reps + 1  # changed
    for n in range(3):  # added: ids must follow this order
        db.add(Outbox(learner_id=asha.id, kind="sms", purpose="reply", to_number=asha.phone, body=f"reply {n}",
                      status="replied", next_attempt_at=now, created_at=now, updated_at=now))
    db.add(Card(learner_id=ravi.id, item_id=item.id, due=now + timedelta(days=2), fsrs={"state": 1}))
    with counted(db.get_bind()) as seen:
        wake.write_with_changes(db)
        db.commit()
    on_postgres = db.get_bind().dialect.name == "postgresql"
    if on_postgres:
        assert len(seen) == 1, seen  # the COMMIT is the driver's, not a statement

    db.expire_all()
    bodies = db.exec(select(Outbox.body).where(Outbox.learner_id == asha.id).order_by(Outbox.id)).all()
    assert bodies == ["reply 0", "reply 1", "reply 2"]
    stored = db.get(Card, card.id)
    assert (stored.due, stored.reps) == (later, 2)
    assert db.exec(select(Card.due).where(Card.learner_id == ravi.id)).one() == now + timedelta(days=2)
    # Each learner wakes by their earliest new due time, never later than before.
    assert db.get(Learner, asha.id).wake_at == later
    assert db.get(Learner, ravi.id).wake_at == now + timedelta(days=2)


def test_a_changed_learner_row_is_flushed_as_usual(app, db, clock):
    """One statement may not update the same row twice (the learner row and its wake time)."""
    now = clock.now()
    asha, _ = make_learners(db, now)
    db.commit()
    asha.language = "hi"
    db.add(Outbox(learner_id=asha.id, kind="sms", purpose="reply", to_number=asha.phone, body="नमस्ते",
                  status="replied", next_attempt_at=now, created_at=now, updated_at=now))
    wake.write_with_changes(db)
    db.commit()
    db.expire_all()
    assert db.get(Learner, asha.id).language == "hi"
    assert db.exec(select(Outbox.body).where(Outbox.learner_id == asha.id)).all() == ["नमस्ते"]


def test_more_learners_than_one_statement_takes_are_lowered_earlier_wins(app, db, clock, monkeypatch):
    """Past ``CHUNK`` learners the rest are lowered on their own; an earlier wake time stays."""
    monkeypatch.setattr(wake, "CHUNK", 1)
    now = clock.now()
    asha, ravi = make_learners(db, now)
    make_module(db)
    item = db.exec(select(Item).order_by(Item.id)).first()
    db.commit()
    db.execute(Learner.__table__.update().where(Learner.id == asha.id).values(wake_at=now + timedelta(hours=1)))
    db.execute(Learner.__table__.update().where(Learner.id == ravi.id).values(wake_at=None))
    db.commit()
    for learner in (asha, ravi):
        db.add(Card(learner_id=learner.id, item_id=item.id, due=now + timedelta(days=2), fsrs={"state": 1}))
    with counted(db.get_bind()) as seen:
        wake.write_with_changes(db)
        db.commit()
    if db.get_bind().dialect.name == "postgresql":
        assert len(seen) == 2, seen  # the writes with the first learner's wake time, then the second's
    db.expire_all()
    assert db.get(Learner, asha.id).wake_at == now + timedelta(hours=1)
    assert db.get(Learner, ravi.id).wake_at == now + timedelta(days=2)

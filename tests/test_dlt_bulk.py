"""Indian learners at a DLT site are planned in bulk: their review rows carry the entity,
the template the text matches and the registered header, written by the set-based path
(review_batch) in the same few statements whatever the number of learners."""
from __future__ import annotations

from collections import Counter

from sqlmodel import select

from app.db import get_engine
from app.learning.texts import question_text
from app.models import Item, Outbox, Pack, Site
from app.scheduling.dispatcher import Dispatch, plan_due
from tests.factories import make_module
from tests.test_due_index import add_due_learners, statements

ENTITY, HEADER = "1101234567890123456", "SAATHI"


def registered(db, *, leave_out: int = 0) -> dict[int, str]:
    """A DLT site, and a registered template for each item's review text but the last
    ``leave_out``: item id -> template id."""
    module = make_module(db)
    db.add(Site(name="Bulk Site", country="IN", timezone="Asia/Kolkata", dlt_entity_id=ENTITY, dlt_header=HEADER))
    items = db.exec(select(Item).where(Item.module_id == module.id).order_by(Item.id)).all()
    ids = {item.id: f"11070000000000{n:05d}" for n, item in enumerate(items[:len(items) - leave_out])}
    pack = db.get(Pack, module.pack_id)
    pack.templates = {"dlt": {f"review-{item.slug}": {"en": {"template_id": ids[item.id],
                                                             "text": question_text(item, "en")}}
                              for item in items if item.id in ids}}
    db.add(pack)
    db.commit()
    return ids


def test_a_dlt_sites_reviews_are_planned_in_bulk_with_their_ids(app, db, clock):
    ids = registered(db)
    url = app.config["DATABASE_URL"]
    ctx = Dispatch.of(app)
    counts = {}
    for size in (20, 200):
        add_due_learners(url, size, now=clock.now(), first_id=size * 1000)  # +9197…: Indian numbers
        with statements(get_engine(app)) as seen:
            stats = plan_due(ctx, now=clock.now())
        assert stats.planned == size
        counts[size] = Counter(seen)
    assert counts[20] == counts[200], counts  # the bulk path: no statements per learner
    assert sum(counts[200].values()) <= 16, counts[200]
    rows = db.exec(select(Outbox, Item.id).join(Item, Item.id == Outbox.prompt_id, isouter=True)).all()
    assert len(rows) == 220
    for row in db.exec(select(Outbox)).all():
        assert (row.dlt_entity_id, row.sender) == (ENTITY, HEADER)
        item = db.exec(select(Item).where(Item.id == _item_of(db, row))).one()
        assert row.dlt_template_id == ids[item.id] and row.body == question_text(item, "en")


def _item_of(db, row: Outbox) -> int:
    from app.models import Prompt

    return db.get(Prompt, row.prompt_id).item_id


def test_a_text_no_template_matches_leaves_the_bulk_path_and_is_not_sent(app, db, clock):
    ids = registered(db, leave_out=1)
    add_due_learners(app.config["DATABASE_URL"], 12, now=clock.now())
    stats = plan_due(Dispatch.of(app), now=clock.now())
    rows = db.exec(select(Outbox)).all()
    assert stats.claimed == 12
    sendable = [r for r in rows if r.status == "queued"]
    assert sendable and all(r.dlt_template_id in ids.values() for r in sendable)
    refused = [r for r in rows if r.status != "queued"]
    assert refused and all(r.dlt_template_id is None and "no registered DLT template" in r.error_message
                           for r in refused)

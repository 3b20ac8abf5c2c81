"""A pass is bounded by time, not rows: it plans again as its queue runs short and stops
sending when SAATHI_DISPATCH_PASS_SECONDS are up (docs/performance.md: a pass that ended
every 500 rows left the window of calls emptying a fifth of the time)."""
from __future__ import annotations

from collections import Counter

from app import create_app
from app.learning.sessions import complete_session
from app.messaging.transport import ConsoleTransport
from app.people.learners import import_learners
from app.people.sites import add_site
from app.scheduling.dispatcher import dispatch_once
from tests.factories import cohort, make_module


def held_for(db, clock, n: int) -> None:
    """``n`` learners whose session was held now: each has a quiz question due."""
    add_site(db=db, name="Andheri Mall")
    rows = "\n".join(f"+9198300{k:05d},Learner {k},Andheri Mall,en,big" for k in range(n))
    assert not import_learners(db=db, csv_text="phone,name,site,language,cohort\n" + rows, now=clock.now()).errors
    complete_session(db=db, cohort=cohort(db, "big"), module=make_module(db), held_at=clock.now(), now=clock.now())
    db.commit()


def worker_app(app_config, **settings):
    transport = ConsoleTransport()
    return create_app({**app_config, "TRANSPORT_OBJECT": transport, **settings}), transport


def test_one_pass_plans_batch_after_batch_while_it_sends(app, db, clock, app_config):
    held_for(db, clock, 12)
    worker, transport = worker_app(app_config, DISPATCH_BATCH=5)
    stats = dispatch_once(app=worker)
    per_phone = Counter(m["to"] for m in transport.sent)
    assert len(per_phone) == 12 and set(per_phone.values()) == {1}
    assert stats.plan.claimed == 12 and stats.delivery.sent == 12
    assert not stats.delivery.out_of_time
    assert dispatch_once(app=worker).delivery.sent == 0  # nothing left, nothing twice
    worker.extensions["saathi.engine"].dispose()


def test_a_pass_stops_sending_when_its_time_is_up(app, db, clock, app_config):
    held_for(db, clock, 45)
    # One call in flight claims 20 rows at a time; no time at all: one claim per pass.
    worker, transport = worker_app(app_config, DISPATCH_PASS_SECONDS=0, DELIVERY_THREADS=1)
    passes = [dispatch_once(app=worker).delivery for _ in range(3)]
    assert [p.sent for p in passes] == [20, 20, 5]
    assert [p.out_of_time for p in passes] == [1, 1, 0]  # the last one emptied the queue
    assert len({m["to"] for m in transport.sent}) == len(transport.sent) == 45
    worker.extensions["saathi.engine"].dispose()

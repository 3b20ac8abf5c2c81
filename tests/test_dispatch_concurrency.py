"""Several workers at once never put the same prompt to a learner twice."""
from __future__ import annotations

import threading
from collections import Counter

from sqlmodel import select

from app import create_app
from app.learning.sessions import complete_session
from app.messaging.transport import ConsoleTransport
from app.models import Outbox
from app.scheduling.dispatcher import dispatch_once
from tests.factories import cohort, make_module

N_LEARNERS = 120


def test_two_workers_dispatching_at_once_send_each_prompt_once(app, db, clock, app_config):
    module = make_module(db)
    from app.people.learners import import_learners
    from app.people.sites import add_site

    add_site(db=db, name="Andheri Mall")
    rows = "\n".join(f"+9198200{n:05d},Learner {n},Andheri Mall,en,big" for n in range(N_LEARNERS))
    assert not import_learners(db=db, csv_text="phone,name,site,language,cohort\n" + rows, now=clock.now()).errors
    complete_session(db=db, cohort=cohort(db, "big"), module=module, held_at=clock.now(), now=clock.now())
    db.commit()

    transport = ConsoleTransport()  # shared, so every "sent" message is seen in one list
    workers = [create_app({**app_config, "TRANSPORT_OBJECT": transport, "DISPATCH_BATCH": 40})
               for _ in range(3)]
    barrier = threading.Barrier(len(workers))
    errors = []

    def run(worker_app):
        barrier.wait()
        try:
            for _ in range(6):
                dispatch_once(app=worker_app)
        except Exception as exc:  # noqa: BLE001  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    per_phone = Counter(m["to"] for m in transport.sent)
    print(f"\n{len(transport.sent)} messages to {len(per_phone)} learners by {len(workers)} workers")
    assert len(per_phone) == N_LEARNERS
    assert set(per_phone.values()) == {1}
    outbox = db.exec(select(Outbox).where(Outbox.purpose == "prompt")).all()
    assert len(outbox) == N_LEARNERS and {r.status for r in outbox} == {"delivered"}
    for w in workers:
        w.extensions["saathi.engine"].dispose()


def test_a_worker_claiming_while_a_learner_texts_stop_skips_that_learner(app, db, clock):
    """STOP and a dispatch pass at the same moment (PostgreSQL): the pass's claim skips the
    rows the STOP is cancelling, so nothing goes out after the learner said stop."""
    import pytest
    from sqlmodel import Session

    from app.learning.engine import opt_out
    from app.models import Learner
    from app.scheduling.delivery import claim
    from app.scheduling.dispatcher import Dispatch, plan_due
    from tests.factories import make_learners

    if app.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("SQLite lets one writer in at a time: there is no race to lose")
    module, learners = make_module(db), make_learners(db, clock.now())
    complete_session(db=db, cohort=cohort(db), module=module, held_at=clock.now(), now=clock.now())
    db.commit()
    plan_due(Dispatch.of(app), now=clock.now())
    engine, asha = app.extensions["saathi.engine"], learners[0]
    with Session(engine) as stopping:
        opt_out(stopping, stopping.get(Learner, asha.id), now=clock.now(), reason="STOP")
        with Session(engine) as worker:
            claimed = [row.to_number for row in claim(worker, now=clock.now(), worker="w", limit=10)]
            worker.commit()
        stopping.commit()
    assert claimed and asha.phone not in claimed
    rows = db.exec(select(Outbox).where(Outbox.learner_id == asha.id)).all()
    assert rows and {r.status for r in rows} == {"cancelled"}

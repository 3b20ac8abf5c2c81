"""Worker "hosts" for tests/test_delivery_scale.py, run as separate processes (spawn)."""
from __future__ import annotations

import time
from datetime import UTC, datetime

NOW = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)


def reserve_slots(url: str, rates: dict, count: int, start, out) -> None:
    """Reserve ``count`` one-segment slots of sender "S" at a frozen wall clock; report them."""
    from contextlib import contextmanager

    from sqlmodel import Session

    from app.db import make_engine
    from app.scheduling.throttle import SenderPace

    engine = make_engine(url)

    @contextmanager
    def sessions():
        with Session(engine) as db:
            yield db

    pace = SenderPace(sessions, rates, clock=lambda: 1000.0, sleep=lambda s: None, horizon=0.1)
    start.wait(30)
    slots = [1000.0 + pace.reserve(1, "S") for _ in range(count)]
    engine.dispose()
    out.put(slots)


def run_host(config: dict, start, out) -> None:
    """One worker host: deliver until the outbox has nothing left for it."""
    from app import create_app
    from app.clock import FrozenClock
    from app.scheduling.dispatcher import Dispatch, deliver

    app = create_app({**config, "CLOCK": FrozenClock(NOW)})
    ctx = Dispatch.of(app)
    start.wait(30)
    sent, deadline = 0, time.monotonic() + 60
    while time.monotonic() < deadline:
        got = deliver(ctx, now=NOW, limit=10).sent
        sent += got
        if not got:
            break
    app.extensions["saathi.engine"].dispose()
    out.put(sent)

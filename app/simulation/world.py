"""A throwaway Saathi for one simulated cohort: database, app, content, site and learners.

The database is a SQLite file on tmpfs (``/dev/shm`` when there is one), copied from a
template migrated once per run with ``app.migrate.upgrade``; durability is switched off
(``synchronous=OFF``) because the file is deleted at the end. The app is the domain's
part of ``create_app`` (settings, database, transport, clock): a simulation needs no web.
"""
from __future__ import annotations

import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime

from flask import Flask
from sqlalchemy import event, insert
from sqlmodel import Session

from app import config as app_config
from app import db as app_db
from app import migrate
from app.clock import FrozenClock
from app.learning.policy import Policy
from app.messaging import transport as app_transport
from app.messaging.transport import SendResult
from app.models import Cohort, Item, Learner, Module, Pack, Site
from app.simulation.content import PackSpec

SITE_NAME = "Simulated site"
COHORT_NAME = "simulated-cohort"


def scratch_dir() -> str:
    """A new directory on tmpfs if the machine has one, else in the temp directory."""
    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    return tempfile.mkdtemp(prefix="saathi-sim-", dir=base)


def migrated_template(directory: str) -> str:
    path = os.path.join(directory, "template.db")
    if not os.path.exists(path):
        quiet = logging.getLogger("alembic")
        level, quiet.level = quiet.level, logging.WARNING  # a throwaway file: no news is good news
        try:
            migrate.upgrade(f"sqlite:///{path}")
        finally:
            quiet.setLevel(level)
    return path


class SimTransport:
    """Console-like transport with deterministic SIDs that keeps nothing in memory."""

    name = "simulation"

    def __init__(self, prefix: str = "sim"):
        self.prefix, self.count, self.segments = prefix, 0, 0

    def _sid(self, kind: str) -> str:
        self.count += 1
        return f"{kind}{self.prefix}{self.count:010d}"

    def send_sms(self, *, to: str, body: str, status_callback: str | None = None) -> SendResult:
        return SendResult(sid=self._sid("SM"), status="delivered")

    def send_whatsapp(self, *, to: str, body: str, content_sid: str | None = None,
                      content_variables: str | None = None, sender: str | None = None,
                      status_callback: str | None = None) -> SendResult:
        return SendResult(sid=self._sid("SM"), status="delivered")

    def place_call(self, *, to: str, url: str, status_callback: str | None = None) -> SendResult:
        return SendResult(sid=self._sid("CA"), status="completed")

    def find_sent(self, *, to: str, body: str, since: datetime) -> str | None:
        return None


def _fast_sqlite(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA synchronous=OFF")
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.execute("PRAGMA cache_size=-65536")
    cur.close()


def build_app(database_url: str, *, clock: FrozenClock, policy: Policy, transport=None) -> Flask:
    """The parts of ``create_app`` the dispatcher and engine use, with ``policy`` in force."""
    app = Flask("app")
    app_config.load_config(app, {
        "DATABASE_URL": database_url, "TRANSPORT": "console", "SEGMENTS_PER_SECOND": 0,
        "TRANSPORT_OBJECT": transport or SimTransport(), "DISPATCH_BATCH": 1_000_000,
        "DESIRED_RETENTION": policy.desired_retention, "DAILY_CAP": policy.daily_cap,
        "REMINDERS": policy.reminders, "MAX_INTERVAL_DAYS": policy.max_interval_days,
    })
    app.extensions["saathi.clock"] = clock
    app_db.init_app(app)
    event.listen(app.extensions["saathi.engine"], "connect", _fast_sqlite)
    app_transport.init_app(app)
    app.extensions["saathi.policy"] = policy
    return app


@dataclass(frozen=True)
class ItemInfo:
    id: int
    key: str
    module_id: int
    answer: int
    options: int


def _strip(texts: dict) -> dict:
    return {lang: str(text).strip() for lang, text in (texts or {}).items()}


def module_fields(spec) -> dict:
    """A module's columns as the importer stores them (texts stripped)."""
    return {"slug": spec.slug, "key": spec.key, "title": spec.data.get("title") or {},
            "greeting": _strip(spec.data.get("greeting")),
            "feedback": {k: _strip(v) for k, v in (spec.data.get("feedback") or {}).items()}}


def item_fields(item: dict, position: int) -> dict:
    return {"slug": item["slug"], "position": position, "question": _strip(item["question"]),
            "options": [_strip(o) for o in item["options"]], "answer": int(item["answer"]),
            "explanation": _strip(item["explanation"])}


def load_pack(db: Session, pack: PackSpec) -> list[Module]:
    """Pack, modules and items as the importer stores them (see app/simulation/content.py)."""
    row = Pack(slug=pack.slug, title=pack.data.get("title") or {}, languages=pack.data.get("languages") or ["en"])
    db.add(row)
    db.flush()
    modules = []
    for position, spec in enumerate(pack.modules):
        module = Module(pack_id=row.id, position=position, **module_fields(spec))
        db.add(module)
        db.flush()
        for item_pos, item in enumerate(spec.data["items"]):
            db.add(Item(module_id=module.id, **item_fields(item, item_pos)))
        modules.append(module)
    db.flush()
    return modules


def pack_objects(pack: PackSpec) -> list[tuple[Module, list[Item]]]:
    """The same rows, never stored: what the in-memory engine renders texts from."""
    out = []
    for position, spec in enumerate(pack.modules, start=1):
        module = Module(id=position, pack_id=1, position=position - 1, **module_fields(spec))
        items = [Item(id=position * 1000 + n, module_id=position, **item_fields(item, n))
                 for n, item in enumerate(spec.data["items"])]
        out.append((module, items))
    return out


def phone_of(index: int) -> str:
    return f"+9190{index:08d}"


def populate(db: Session, *, pack: PackSpec, indices: range, languages: tuple[str, ...],
             now: datetime, channel_of=lambda index: "sms") -> tuple[Cohort, list[Module], dict[int, int]]:
    """One site in India, one cohort of the learners ``indices``, each on ``channel_of(index)``;
    returns learner id -> index."""
    site = Site(name=SITE_NAME, country="IN", timezone="Asia/Kolkata", created_at=now)
    db.add(site)
    db.flush()
    cohort = Cohort(name=COHORT_NAME, site_id=site.id, created_at=now)
    db.add(cohort)
    db.flush()
    modules = load_pack(db, pack)
    db.execute(insert(Learner), [
        {"phone": phone_of(i), "name": f"Learner {i}", "site_id": site.id, "cohort_id": cohort.id,
         "language": languages[i % len(languages)], "channel": channel_of(i), "status": "active",
         "created_at": now, "updated_at": now} for i in indices])
    ids = {}
    for learner_id, phone in db.execute(Learner.__table__.select().with_only_columns(
            Learner.id, Learner.phone)):
        ids[learner_id] = int(phone[5:])
    return cohort, modules, ids


def items_of(db: Session, modules: list[Module]) -> dict[int, ItemInfo]:
    keys = {m.id: m.key for m in modules}
    rows = db.execute(Item.__table__.select().with_only_columns(
        Item.id, Item.module_id, Item.slug, Item.answer, Item.options)).all()
    return {r.id: ItemInfo(r.id, f"{keys[r.module_id]}/{r.slug}", r.module_id, r.answer, len(r.options))
            for r in rows if r.module_id in keys}


def remove(directory: str) -> None:
    shutil.rmtree(directory, ignore_errors=True)

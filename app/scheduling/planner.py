"""A planning pass: claim the learners who are due, decide for a chunk at a time, write in bulk.

Work is found through ``learner.wake_at`` (``wake.py``): one statement claims the next
chunk of due learners (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so N workers take N
different chunks), four queries load what the chunk needs (pending prompts, the first
queued prompt, the first card, the day's count against the cap), the common case (a
review card due, by SMS, window open, under the cap) is decided in Python and written with
one INSERT of prompts, one of outbox rows and one UPDATE of wake times. Anything rarer
(a post-session sequence, a call, a reminder, an expiry) goes through ``one_learner`` in a
savepoint. A pass costs what is due; an idle pass is one index probe.

The one-pending-prompt index stays the last guard: two workers never put two questions to
the same phone.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import func, join
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.bulk import per_key
from app.channels.options import ChannelOptions
from app.channels.registry import channels
from app.db import fixed
from app.learning.policy import Policy
from app.learning.texts import question_text
from app.messaging.segments import count_segments
from app.models import Card, Item, Learner, Module, Pack, Prompt, Site
from app.observability import metrics
from app.scheduling import wake
from app.scheduling.one_learner import (
    FAILED_LEARNER_RETRY,
    PlanStats,
    isolated,
    over_cap,
    plan_learner,
    remind_or_expire,
    sent_since,
)
from app.scheduling.review_batch import write_reviews
from app.scheduling.window import in_window, next_window_start

__all__ = ["PlanStats", "claim_due", "plan"]
log = logging.getLogger(__name__)

# Should a path ever leave a claimed learner without a wake time, they are looked at again
# after this rather than in a loop.
CLAIM_LEASE = timedelta(minutes=5)
CHUNK = 500


@dataclass(frozen=True)
class Claimed:
    """A due learner as claimed: what deciding in bulk reads of them."""

    id: int
    site_id: int
    phone: str
    language: str
    channel: str
    timezone: str | None
    next_contact_at: datetime | None


def claim_due(db: Session, *, now: datetime, limit: int) -> list[Claimed]:
    """Take up to ``limit`` active learners whose wake time has come, most overdue first.

    One statement: ``SELECT ... ORDER BY wake_at LIMIT n FOR UPDATE SKIP LOCKED``. The rows
    stay locked until the chunk commits; another worker's claim skips them and takes the
    next ones. Nothing is written to claim them: the chunk writes each learner's wake time
    once, when it has decided (an UPDATE here too was a second version of every learner
    row, with every index of the table, for each learner planned). A worker that dies
    mid-chunk loses its transaction, and with it the locks: the learners are due again.
    """
    t = Learner.__table__
    due = (select(t.c.id, t.c.site_id, t.c.phone, t.c.language, t.c.channel, t.c.timezone, t.c.next_contact_at)
           .where(t.c.status == fixed("active"), t.c.wake_at <= now)
           .order_by(t.c.wake_at).limit(limit).with_for_update(skip_locked=True))
    return sorted((Claimed(*row) for row in db.execute(due).all()), key=lambda c: c.id)


@dataclass
class Chunk:
    """What a chunk of claimed learners has waiting, loaded in four queries."""

    pending: dict[int, tuple[int, wake.Waiting]]  # learner -> (prompt id, timing)
    first_queued: dict[int, datetime]
    first_card: dict[int, tuple[int, int, datetime]]  # learner -> (card id, item id, due)
    last_24h: dict[int, int]

    @classmethod
    def load(cls, db: Session, ids: list[int], now: datetime) -> Chunk:
        pending = {lid: (pid, wake.Waiting(channel, last_sent, reminders))
                   for lid, pid, channel, last_sent, reminders in per_key(
                       db, ids, Prompt.learner_id, (Prompt.id, Prompt.channel, Prompt.last_sent_at,
                                                    Prompt.reminders_sent),
                       where=(Prompt.status == fixed("pending"),), order_by=(Prompt.id,))}
        queued = dict(per_key(db, ids, Prompt.learner_id, (Prompt.due_at,), where=(Prompt.status == fixed("queued"),),
                              order_by=(Prompt.due_at,)))
        cards = {lid: (cid, item, due) for lid, cid, item, due in per_key(
            db, ids, Card.learner_id, (Card.id, Card.item_id, Card.due), where=(Item.active,),
            order_by=(Card.due, Card.id), from_=join(Card, Item, Item.id == Card.item_id))}
        return cls(pending=pending, first_queued=queued, first_card=cards,
                   last_24h=sent_since(db, ids, now - timedelta(hours=24)))


@dataclass
class Planner:
    """One pass's decisions, with what it caches between chunks (sites, texts)."""

    now: datetime
    policy: Policy
    options: ChannelOptions
    stats: PlanStats = field(default_factory=PlanStats)
    sites: dict[int, Site] = field(default_factory=dict)
    items: dict[int, Item] = field(default_factory=dict)
    templates: dict[int, dict | None] = field(default_factory=dict)  # item id -> its pack's templates
    bodies: dict[tuple[int, str], tuple[str, object]] = field(default_factory=dict)

    def chunk(self, db: Session, claimed: list[Claimed]) -> None:
        now = self.now
        ids = [c.id for c in claimed]
        have = Chunk.load(db, ids, now)
        self._load_sites(db, {c.site_id for c in claimed})
        wakes: dict[int, datetime | None] = {}
        holds: dict[int, datetime] = {}
        reviews: list[tuple[Claimed, tuple[int, int, datetime]]] = []
        careful: list[tuple[Claimed, object]] = []
        for c in claimed:
            try:
                self._decide(db, c, have, wakes, holds, reviews, careful)
            except Exception:  # one broken record (say, an unknown timezone) stops no one else
                log.exception("planning failed for learner %s", c.id, extra={"learner_id": c.id})
                self.stats.plan_errors += 1
                metrics.learner_failed("plan")
                holds[c.id] = now + FAILED_LEARNER_RETRY
        if reviews and not self._send_reviews(db, reviews, wakes, careful):
            careful.extend((c, ("plan", None)) for c, _ in reviews)
        for c, (what, prompt_id) in careful:
            self._carefully(db, c, what, prompt_id, have.last_24h.get(c.id, 0), wakes, holds)
        for c in claimed:  # every path above decides a wake time; this is the net under them
            if c.id not in wakes and c.id not in holds:
                wakes[c.id] = now + CLAIM_LEASE
        wake.settle(db, wakes, holds=holds)

    def _decide(self, db: Session, c: Claimed, have: Chunk, wakes: dict, holds: dict, reviews: list,
                careful: list) -> None:
        """Sort one learner: nothing to do yet (``wakes``), held (``holds``), a review to send in
        bulk (``reviews``), or the careful path (``careful``)."""
        now, policy = self.now, self.policy
        hold = c.next_contact_at if c.next_contact_at and c.next_contact_at > now else None
        waiting = have.pending.get(c.id)
        card = have.first_card.get(c.id)
        queued = have.first_queued.get(c.id)
        first_due = min((d for d in (queued, card and card[2]) if d is not None), default=None)
        exact = wake.next_wake(now=now, policy=policy, hold=hold, pending=waiting and waiting[1],
                               first_due=first_due)
        site = self.sites[c.site_id]
        if hold is not None or exact is None or (waiting is None and first_due > now):
            wakes[c.id] = exact
        elif waiting is not None:
            if wake.pending_due(policy, waiting[1]) > now:
                wakes[c.id] = exact  # not yet time for its reminder or expiry
            else:
                careful.append((c, ("remind", waiting[0])))
        elif not in_window(now, c, site):
            holds[c.id] = next_window_start(now, c, site)
            self.stats.outside_window += 1
        elif over_cap(db, c, site, now, site.daily_cap or policy.daily_cap, have.last_24h.get(c.id, 0)):
            holds[c.id] = next_window_start(now, c, site)
            self.stats.over_cap += 1
        elif not channels.for_learner(c.channel).bulk_for(c.phone, site) or (queued is not None and queued <= now) or card is None or card[2] > now:
            careful.append((c, ("plan", None)))
        else:
            reviews.append((c, card))

    def _load_sites(self, db: Session, site_ids: set[int]) -> None:
        missing = site_ids - self.sites.keys()
        if missing:
            for site in db.exec(select(Site).where(Site.id.in_(missing))).all():
                db.expunge(site)
                self.sites[site.id] = site

    def _load_items(self, db: Session, item_ids: set[int]) -> None:
        """The items, each with its pack's templates (DLT's, for a bulk row's IDs): one query."""
        missing = item_ids - self.items.keys()
        if missing:
            rows = db.exec(select(Item, Pack.templates).join(Module, Module.id == Item.module_id)
                           .join(Pack, Pack.id == Module.pack_id).where(Item.id.in_(missing))).all()
            for item, templates in rows:
                db.expunge(item)
                self.items[item.id], self.templates[item.id] = item, templates

    def _body(self, item_id: int, language: str):
        key = (item_id, language)
        if key not in self.bodies:
            body = question_text(self.items[item_id], language)
            self.bodies[key] = (body, count_segments(body))
        return self.bodies[key]

    def _send_reviews(self, db: Session, reviews, wakes: dict, careful: list) -> bool:
        """Put each learner's first due card to them by SMS: prompts, outbox rows, wake times.
        A row carries what its channel adds (``bulk_columns``: a DLT text's IDs and header);
        a learner whose text the channel cannot carry in bulk (no DLT template matches) goes
        to ``careful``, where the channel records why nothing was sent.

        False if the database refused (another writer put a prompt to one of them first):
        nothing of it stays, and the caller takes them one at a time instead.
        """
        now = self.now
        self._load_items(db, {item_id for _, (_card, item_id, _due) in reviews})
        extra: dict[int, dict] = {}
        bulk = []
        for c, card in reviews:
            columns = channels.for_learner(c.channel).bulk_columns(
                c.phone, self.sites[c.site_id], language=c.language, body=self._body(card[1], c.language)[0],
                templates=self.templates.get(card[1]))
            if columns is None:
                careful.append((c, ("plan", None)))
                continue
            extra[c.id] = columns
            bulk.append((c, card))
        reviews[:] = bulk
        if not reviews:
            return True
        try:
            with db.begin_nested():
                write_reviews(db, [(c, item_id, due) for c, (_card, item_id, due) in reviews],
                              body=self._body, now=now, extra=extra)
        except IntegrityError:
            return False
        self.stats.planned += len(reviews)
        sent = wake.Waiting("sms", now, 0)
        for c, _ in reviews:
            wakes[c.id] = wake.next_wake(now=now, policy=self.policy, hold=None, pending=sent, first_due=None)
        return True

    def _carefully(self, db: Session, c: Claimed, what: str, prompt_id: int | None, last_24h: int,
                   wakes: dict, holds: dict) -> None:
        learner = db.get(Learner, c.id)
        now, policy, stats = self.now, self.policy, self.stats
        if what == "remind":
            prompt = db.get(Prompt, prompt_id)
            step = partial(remind_or_expire, db, prompt, learner, now=now, policy=policy, stats=stats,
                           options=self.options, last_24h=last_24h)
        else:
            step = partial(plan_learner, db, learner, now=now, policy=policy, options=self.options, stats=stats,
                           last_24h=last_24h)
        isolated(db, learner, step, now=now, stats=stats, stage=what if what == "remind" else "plan")
        db.flush()
        wakes[c.id] = wake_for(db, learner, now=now, policy=policy)


def wake_for(db: Session, learner: Learner, *, now: datetime, policy: Policy) -> datetime | None:
    """``next_wake`` for one learner, read from the database (after the careful path)."""
    hold = learner.next_contact_at if learner.next_contact_at and learner.next_contact_at > now else None
    waiting = db.exec(select(Prompt.channel, Prompt.last_sent_at, Prompt.reminders_sent)
                      .where(Prompt.learner_id == learner.id, Prompt.status == "pending")).first()
    queued = db.exec(select(func.min(Prompt.due_at)).where(Prompt.learner_id == learner.id,
                                                           Prompt.status == "queued")).one()
    card = db.exec(select(func.min(Card.due)).join(Item, Item.id == Card.item_id)
                   .where(Card.learner_id == learner.id, Item.active)).one()
    first_due = min((d for d in (queued, card) if d is not None), default=None)
    pending = wake.Waiting(*waiting) if waiting else None
    return wake.next_wake(now=now, policy=policy, hold=hold, pending=pending, first_due=first_due)


def plan(db_factory, *, now: datetime, policy: Policy, options: ChannelOptions, batch: int = 500,
         chunk: int = CHUNK, planner: Planner | None = None) -> PlanStats:
    """One planning pass over at most ``batch`` due learners, ``chunk`` per transaction.

    Everything it needs comes in as arguments (``options`` for the channels, ``policy`` for texts):
    a pass runs on the worker's scheduler thread, where there is no app context. A ``planner``
    passed in keeps its caches and adds to its counts (a pass that plans more than once).
    """
    planner = planner or Planner(now=now, policy=policy, options=options)
    left = batch
    while left > 0:
        with db_factory() as db:
            claimed = claim_due(db, now=now, limit=min(chunk, left))
            if not claimed:
                db.rollback()
                break
            planner.chunk(db, claimed)
            db.commit()
        left -= len(claimed)
        planner.stats.claimed += len(claimed)
    return planner.stats

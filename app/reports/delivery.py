"""How messages fared, per channel: delivered, read (WhatsApp tells us), refused.

A supervisor comparing channels needs the share of messages that reached the phone and,
where the channel reports it, the share that was read. SMS refused by Indian carriers
for not matching a DLT template are listed with their reason: they are not retried, and
only someone who can register or fix the template can make them go.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, select

from app.channels import dlt
from app.channels.registry import channels
from app.models import Answer, Learner, Outbox
from app.reports.costs import Price
from app.reports.queries import BILLED, _count_true, _learner_filter, in_period

SENT = ("accepted", "sent", "delivered", "read", "undelivered", "failed")
REACHED = ("delivered", "read")


@dataclass(frozen=True)
class ChannelDelivery:
    kind: str  # an outbox kind: sms, call, whatsapp
    sent: int
    delivered: int
    read: int

    @property
    def delivery_rate(self) -> float | None:
        return self.delivered / self.sent if self.sent else None

    @property
    def read_rate(self) -> float | None:
        """Of the messages delivered, the share read; None where the channel never reports reading."""
        return self.read / self.delivered if self.delivered and self.read else None


@dataclass(frozen=True)
class Refusal:
    outbox_id: int
    learner_id: int
    name: str
    at: datetime
    template_id: str | None
    reason: str


def by_channel(*, db: Session, site_ids: set[int] | None, cohort_id: int | None = None,
               start: datetime | None = None, end: datetime | None = None) -> list[ChannelDelivery]:
    """Messages Saathi sent (not the webhook replies), per channel, in one grouped query."""
    query = select(Outbox.kind, _count_true(Outbox.status.in_(SENT)), _count_true(Outbox.status.in_(REACHED)),
                   _count_true(Outbox.status == "read")).select_from(Outbox) \
        .join(Learner, Learner.id == Outbox.learner_id).where(Outbox.status.in_(SENT))
    query = in_period(_learner_filter(query, site_ids=site_ids, cohort_id=cohort_id), Outbox.created_at, start, end)
    return [ChannelDelivery(*row) for row in db.exec(query.group_by(Outbox.kind).order_by(Outbox.kind))]


def dlt_refusals(*, db: Session, site_ids: set[int] | None, cohort_id: int | None = None,
                 start: datetime | None = None, end: datetime | None = None, limit: int = 20) -> list[Refusal]:
    """SMS Indian carriers dropped as matching no DLT template, and those Saathi held back
    for the same reason (``dlt.UNREGISTERED_REASON``), newest first."""
    query = select(Outbox.id, Learner.id, Learner.name, Outbox.updated_at, Outbox.dlt_template_id,
                   Outbox.error_message).select_from(Outbox).join(Learner, Learner.id == Outbox.learner_id) \
        .where(Outbox.dlt_entity_id.is_not(None),
               or_(Outbox.error_code == dlt.REFUSED, Outbox.error_message == dlt.UNREGISTERED_REASON))
    query = in_period(_learner_filter(query, site_ids=site_ids, cohort_id=cohort_id), Outbox.created_at, start, end)
    return [Refusal(*row) for row in db.exec(query.order_by(Outbox.updated_at.desc(), Outbox.id.desc()).limit(limit))]


@dataclass(frozen=True)
class ChannelValue:
    """What one channel cost and what it bought: reviews answered right (items remembered
    weeks later, as near as the records say), and the cost of each."""

    kind: str
    cost: float
    remembered: int

    @property
    def per_item(self) -> float | None:
        return self.cost / self.remembered if self.remembered else None


def value_by_channel(*, db: Session, site_ids: set[int] | None, prices: Price, cohort_id: int | None = None,
                     start: datetime | None = None, end: datetime | None = None) -> list[ChannelValue]:
    """Per channel, in ``prices``' currency (the site's country in ``app/reports/costs.py``): SMS by the segment, calls by the started minute,
    WhatsApp by Meta's template price plus the provider's fee per message; against the
    review answers given right on that channel."""
    cost: dict[str, float] = {}
    minutes = func.coalesce(func.sum((Outbox.duration_seconds + 59) // 60), 0)  # each call to the started minute
    query = select(Outbox.kind, Outbox.purpose, func.count(Outbox.id), func.coalesce(func.sum(Outbox.segments), 0),
                   minutes) \
        .select_from(Outbox).join(Learner, Learner.id == Outbox.learner_id) \
        .where(Outbox.status.in_((*BILLED, "completed")))
    query = in_period(_learner_filter(query, site_ids=site_ids, cohort_id=cohort_id), Outbox.created_at, start, end)
    for kind, purpose, count, segments, minutes in db.exec(query.group_by(Outbox.kind, Outbox.purpose)):
        if kind == "whatsapp":
            amount = prices.whatsapp(templates=count if purpose == "opener" else 0, messages=count)
        elif kind == "call":
            amount = int(minutes) * prices.voice_minute
        else:
            amount = segments * prices.sms_segment
        cost[kind] = cost.get(kind, 0.0) + amount
    right = select(Answer.channel, func.count(Answer.id)).select_from(Answer) \
        .join(Learner, Learner.id == Answer.learner_id).where(Answer.correct, Answer.kind == "review")
    right = in_period(_learner_filter(right, site_ids=site_ids, cohort_id=cohort_id), Answer.answered_at, start, end)
    remembered = {channels.named(name).outbox_kind: n for name, n in db.exec(right.group_by(Answer.channel))}
    return [ChannelValue(kind, round(cost.get(kind, 0.0), 2), remembered.get(kind, 0))
            for kind in sorted(set(cost) | set(remembered))]

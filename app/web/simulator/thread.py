"""The conversation with one learner as a phone would show it: what they sent (``Inbound``)
and everything Saathi sent or queued for them (``Outbox``), oldest first."""
from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime

import phonenumbers
from sqlalchemy import or_
from sqlmodel import Session, select

from app.learning.inbound import SEPARATOR
from app.models import Inbound, Learner, Outbox, Site


@dataclass
class Bubble:
    direction: str  # "in" (from the learner) or "out" (from Saathi)
    text: str
    at: datetime
    status: str | None = None
    purpose: str | None = None
    kind: str = "sms"
    segments: int | None = None
    buttons: list[tuple[str, str]] = field(default_factory=list)  # WhatsApp: (title, payload)


def conversation(*, db: Session, learner: Learner, limit: int = 200) -> list[Bubble]:
    """The last ``limit`` messages, oldest first.

    The simulator's clock may stand still, so time alone cannot order a prompt, the answer
    to it and Saathi's reply. Each inbound message is followed by its own replies (stored
    in the same order, and counted on ``Inbound.reply``); at an equal time a prompt the
    dispatcher sent comes before the learner's answer to it.
    """
    mine_in = or_(Inbound.learner_id == learner.id, Inbound.from_number == learner.phone)
    mine_out = or_(Outbox.learner_id == learner.id, Outbox.to_number == learner.phone)
    inbound = list(reversed(db.exec(select(Inbound).where(mine_in)
                                    .order_by(Inbound.id.desc()).limit(limit)).all()))
    sent = list(reversed(db.exec(select(Outbox).where(mine_out, Outbox.purpose != "reply")
                                 .order_by(Outbox.id.desc()).limit(limit)).all()))
    replies = db.exec(select(Outbox).where(mine_out, Outbox.purpose == "reply",
                                           Outbox.created_at >= inbound[0].received_at)
                      .order_by(Outbox.id)).all() if inbound else []
    groups: list[tuple[tuple, list[Bubble]]] = []
    queue = list(replies)
    for m in inbound:
        group = [Bubble("in", m.body, m.received_at, kind=m.channel)]
        answered = [part for part in (m.reply or "").split(SEPARATOR) if part]
        for _part in answered:
            if queue:
                group.append(_out(queue.pop(0)))
        groups.append(((m.received_at, 1, m.id), group))
    groups += [((o.created_at, 1, 10**12 + o.id), [_out(o)]) for o in queue]
    groups += [((o.created_at, 0, o.id), [_out(o)]) for o in sent]
    groups.sort(key=lambda pair: pair[0])
    return [bubble for _key, group in groups for bubble in group][-limit:]


def _out(row: Outbox) -> Bubble:
    return Bubble("out", row.body, row.sent_at or row.created_at, row.status, row.purpose, row.kind, row.segments,
                  _buttons(row))


def _buttons(row: Outbox) -> list[tuple[str, str]]:
    """A WhatsApp message's buttons, from its content variables (``{"2": title, "3": id, …}``)."""
    if row.kind != "whatsapp" or not row.content_variables or row.purpose == "opener":
        return []
    try:
        variables = json.loads(row.content_variables)
    except ValueError:
        return []
    pairs, n = [], 2
    while str(n) in variables and str(n + 1) in variables:
        pairs.append((str(variables[str(n)]), str(variables[str(n + 1)])))
        n += 2
    return pairs


def free_test_number(*, db: Session, site: Site, rng: random.Random | None = None) -> str:
    """An unused, valid mobile number of the site's country, for a test learner."""
    rng = rng or random.Random()
    example = phonenumbers.example_number_for_type(site.country, phonenumbers.PhoneNumberType.MOBILE) \
        or phonenumbers.example_number(site.country)
    national = str(example.national_number)
    for _attempt in range(200):
        digits = national[:-4] + f"{rng.randrange(10000):04d}"
        number = phonenumbers.parse(f"+{example.country_code}{digits}")
        if not phonenumbers.is_valid_number(number):
            continue
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if db.exec(select(Learner.id).where(Learner.phone == e164)).first() is None:
            return e164
    raise ValueError(f"could not find a free test number for {site.country}")

"""Which sender a message goes out from, and at what pace.

One long code sends about 1 segment/s, so a large programme sends through a Twilio
Messaging Service (its sender pool, ``MG...``) or a list of senders: short codes,
toll-free numbers, alphanumeric IDs where a country allows them. ``SAATHI_SENDERS`` lists
them with their segments/s and, optionally, the number prefixes they serve:

    SAATHI_SENDERS="MG0123...:100, +15005550006:1, SAATHI:10@+44@+353"

A message is given a sender at its first claim (among those whose prefixes match its
number, spread in proportion to their rates) and keeps it, so a retry or a lookup after a
crash uses the same one. Without the setting there is one sender, ``default``: the
transport's own TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM, at SEGMENTS_PER_SECOND.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

DEFAULT = "default"


@dataclass(frozen=True)
class Sender:
    name: str            # a number, a short code, an alphanumeric ID, or an MG... service SID
    rate: float          # segments per second (0: not paced)
    prefixes: tuple[str, ...] = ()  # the numbers it serves; () serves any

    @property
    def is_service(self) -> bool:
        return self.name.startswith("MG")

    def serves(self, number: str) -> bool:
        return not self.prefixes or number.startswith(self.prefixes)


def parse_senders(spec: str | list | None, default_rate: float) -> list[Sender]:
    """``SAATHI_SENDERS`` as ``Sender``s; a sender without ``:rate`` gets ``default_rate``."""
    if not spec:
        return []
    items = spec if isinstance(spec, list) else str(spec).split(",")
    senders = []
    for item in (str(i).strip() for i in items):
        if not item:
            continue
        head, *prefixes = item.split("@")
        name, _, rate = head.partition(":")
        try:
            senders.append(Sender(name.strip(), float(rate) if rate else float(default_rate),
                                  tuple(p.strip() for p in prefixes if p.strip())))
        except ValueError:
            raise ValueError(f"SAATHI_SENDERS: bad rate in {item!r} (want sender:segments_per_second)") from None
    return senders


class SenderChooser:
    """Spreads new messages over the senders that serve their number, by rate (a smooth
    weighted round robin: a sender at 10/s gets ten times the messages of one at 1/s)."""

    def __init__(self, senders: list[Sender]):
        self.senders = senders
        self._credit = {s.name: 0.0 for s in senders}
        self._lock = threading.Lock()

    def __bool__(self) -> bool:
        return bool(self.senders)

    def choose(self, number: str) -> str | None:
        fits = [s for s in self.senders if s.serves(number)] or self.senders
        if not fits:
            return None
        weights = {s.name: s.rate if s.rate > 0 else 1.0 for s in fits}
        with self._lock:
            total = sum(weights.values())
            for name, weight in weights.items():
                self._credit[name] += weight
            best = max(fits, key=lambda s: self._credit[s.name])
            self._credit[best.name] -= total
        return best.name

    def rates(self, default_rate: float) -> dict[str, float]:
        rates = {s.name: s.rate for s in self.senders}
        rates.setdefault(DEFAULT, default_rate)
        return rates

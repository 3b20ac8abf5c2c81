"""What the messages cost, in the site's own money.

Prices are per country, because a carrier bills by the destination: ``SAATHI_PRICES`` is a
JSON table ``{"IN": {"currency": "INR", "sms_segment": 0.25, "voice_minute": 0.60,
"whatsapp_template": 0.12, "whatsapp_message": 0.42}, ...}`` (unset: ``DEFAULT_PRICES``). A
site in a country the table lacks shows no money, never a guess in someone else's currency.
Costs are computed from what was billed (segments of sent SMS), so the dashboard, the
reports and ``saathi simulate`` (which reads the same table) speak the same unit. This is
the one price table: the channel comparison and the simulator read it too.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

# Plausible bulk prices (2025) for a programme sending through a local aggregator; Twilio's
# list prices for international A2P traffic are several times higher. WhatsApp: Meta's
# utility rate for the market (a template outside the 24-hour window; inside it messages
# are free) and Twilio's fee on every WhatsApp message ($0.005), in the local currency.
# Check your contract and Meta's current rate card, and set SAATHI_PRICES.
DEFAULT_PRICES = {
    "IN": {"currency": "INR", "sms_segment": 0.25, "voice_minute": 0.60,
           "whatsapp_template": 0.12, "whatsapp_message": 0.42},
    "NO": {"currency": "NOK", "sms_segment": 0.80, "voice_minute": 0.50,
           "whatsapp_template": 0.35, "whatsapp_message": 0.055},
    "NL": {"currency": "EUR", "sms_segment": 0.09, "voice_minute": 0.05,
           "whatsapp_template": 0.05, "whatsapp_message": 0.0046},
}


@dataclass(frozen=True)
class Price:
    currency: str  # ISO 4217: INR, NOK, EUR
    sms_segment: float
    voice_minute: float = 0.0
    whatsapp_template: float = 0.0  # Meta's charge for a utility template (outside the 24-hour window)
    whatsapp_message: float = 0.0  # the provider's fee on every WhatsApp message

    def whatsapp(self, templates: float, messages: float) -> float:
        """The WhatsApp bill for ``templates`` utility templates among ``messages`` sent."""
        return templates * self.whatsapp_template + messages * self.whatsapp_message


class PriceError(ValueError):
    """``SAATHI_PRICES`` cannot be read; the message says which country and field."""


def current_prices(app) -> dict[str, Price]:
    """The app's price table, read once (a bad table already stopped start-up: ``check_config``)."""
    table = app.extensions.get("saathi.prices")
    if table is None:
        table = app.extensions["saathi.prices"] = price_table(app.config)
    return table


def price_table(config) -> dict[str, Price]:
    """Country code -> ``Price`` from ``SAATHI_PRICES`` (a mapping or its JSON), else the defaults."""
    raw = config.get("PRICES") or DEFAULT_PRICES
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise PriceError(f"SAATHI_PRICES is not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise PriceError("SAATHI_PRICES must map country codes to prices")
    table = {}
    for country, entry in raw.items():
        try:
            table[str(country).upper()] = Price(str(entry["currency"]).upper(), float(entry["sms_segment"]),
                                                float(entry.get("voice_minute", 0)),
                                                float(entry.get("whatsapp_template", 0)),
                                                float(entry.get("whatsapp_message", 0)))
        except (KeyError, TypeError, ValueError):
            raise PriceError(f"SAATHI_PRICES[{country!r}] needs a currency and a number for sms_segment") from None
    return table


@dataclass(frozen=True)
class Costs:
    """Money spent on a group of learners, and what it bought."""

    currency: str
    total: float
    per_learner: float | None
    per_session: float | None
    per_right_answer: float | None  # an item remembered at a review: what the money is for


def _share(total: float, count: int) -> float | None:
    return total / count if count else None


def costs(*, price: Price | None, segments: int, voice_seconds: float = 0, learners: int, sessions: int,
          right_answers: int) -> Costs | None:
    """What ``segments`` (and call time) cost at ``price``; None when the country has no price."""
    if price is None:
        return None
    total = segments * price.sms_segment + voice_seconds / 60 * price.voice_minute
    return Costs(price.currency, total, _share(total, learners), _share(total, sessions),
                 _share(total, right_answers))


def metrics_costs(metrics, price: Price | None) -> Costs | None:
    """``costs`` of a ``app.reports.queries.Metrics`` row."""
    return costs(price=price, segments=metrics.segments, learners=metrics.learners, sessions=metrics.sessions,
                 right_answers=metrics.correct)

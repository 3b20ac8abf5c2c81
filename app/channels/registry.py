"""Which channels exist, and which of them a learner takes.

A learner's ``channel`` names one channel, or a combination (``both``: SMS first, a call
when an SMS prompt cannot get through). A channel's own ``fallbacks`` (WhatsApp's is
SMS) follow it. Adding a channel is one ``register`` line below.
"""
from __future__ import annotations

from app.channels.base import Channel
from app.channels.sms import SmsChannel
from app.channels.voice import VoiceChannel
from app.channels.whatsapp import WhatsAppChannel
from app.scheduling import wake


class Registry:
    def __init__(self) -> None:
        self._by_name: dict[str, Channel] = {}
        self._by_kind: dict[str, Channel] = {}
        self._routes: dict[str, tuple[str, ...]] = {}

    def register(self, channel: Channel, *, fallbacks: tuple[str, ...] = ()) -> Channel:
        channel.registry = self
        self._by_name[channel.name] = channel
        self._by_kind[channel.outbox_kind] = channel
        self._routes[channel.name] = (channel.name, *fallbacks)
        if channel.closes_own_prompts:
            wake.SELF_CLOSING.add(channel.name)
        return channel

    def combine(self, name: str, *channels: str) -> None:
        """A learner setting that takes several channels, the first one planned."""
        self._routes[name] = channels

    def all(self) -> list[Channel]:
        return list(self._by_name.values())

    def route(self, channel: str | None) -> list[Channel]:
        """The channels a learner's setting takes, the planned one first."""
        route = self._routes.get(channel or "sms") or self._routes["sms"]
        return [self._by_name[name] for name in route]

    def learner_choices(self) -> tuple[str, ...]:
        """Every value a learner's ``channel`` may take."""
        return tuple(self._routes)

    def for_learner(self, channel: str | None) -> Channel:
        """The channel a learner is planned on (an unknown setting: SMS)."""
        route = self._routes.get(channel or "sms") or self._routes["sms"]
        return self._by_name[route[0]]

    def named(self, name: str | None) -> Channel:
        """A prompt's channel (``None``, from before channels were recorded: SMS)."""
        return self._by_name.get(name or "sms") or self._by_name["sms"]

    def for_row(self, row) -> Channel:
        """The channel an outbox row goes out on, by its ``kind``."""
        return self.by_kind(row.kind)

    def by_kind(self, kind: str | None) -> Channel:
        return self._by_kind.get(kind or "sms") or self._by_name["sms"]

    def reachable(self, db, language: str, channel: str | None) -> str:
        """``channel``, or SMS where one of its channels cannot carry ``language`` (no Twilio
        voice speaks it: a call nobody can follow costs money and teaches nothing)."""
        if all(c.speaks(db, language) for c in self.route(channel)):
            return channel
        return "sms"

    def fallbacks(self, learner, channel: Channel) -> list[Channel]:
        """The learner's other channels, in order, after ``channel``."""
        if learner is None:
            return []
        route = self._routes.get(learner.channel, ())
        return [self._by_name[name] for name in route if name != channel.name]


channels = Registry()
channels.register(SmsChannel())
channels.register(VoiceChannel())
channels.register(WhatsAppChannel(), fallbacks=("sms",))
channels.combine("both", "sms", "voice")

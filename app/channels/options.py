"""What the channels need from settings, gathered in one object for a pass or a request.

The worker's passes run on scheduler threads without an app context, so settings travel
as arguments: scheduling passes a ``ChannelOptions`` through without looking inside,
and each channel reads its own part.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from app.channels.whatsapp import WhatsAppOptions
from app.voice.settings import VoiceOptions
from app.voice.settings import current_options as voice_options


@dataclass(frozen=True)
class ChannelOptions:
    voice: VoiceOptions = field(default_factory=VoiceOptions)
    whatsapp: WhatsAppOptions = field(default_factory=WhatsAppOptions)


def current_options(app) -> ChannelOptions:
    """The app's channel options. Takes the app itself, never ``current_app``."""
    whatsapp = app.extensions.get("saathi.whatsapp")
    if whatsapp is None:
        whatsapp = app.extensions["saathi.whatsapp"] = WhatsAppOptions.from_config(app.config)
    return ChannelOptions(voice=voice_options(app), whatsapp=whatsapp)

"""TwiML for calls, built with the twilio library's ``VoiceResponse`` (never by hand).

Every ``<Say>`` carries the learner's language and voice; every question is a
``<Gather>`` for one key (and a spoken answer where the language allows it), followed by
a ``<Redirect>`` to the same action URL: when no key comes, Twilio falls through to the
redirect, which arrives without ``Digits`` and is handled as "no answer".
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from twilio.twiml.voice_response import VoiceResponse

from app import languages
from app.voice.settings import Voice

ANSWER_PATH = "/twilio/voice/answer"
AUDIO_PATH = "/twilio/voice/audio"


def answer_url(base: str, token: str, prompt_id: int, attempt: int) -> str:
    """The Gather action for one prompt: keyed by prompt id, so a replay finds its answer."""
    return f"{base}{ANSWER_PATH}?" + urlencode({"call": token, "prompt": prompt_id, "try": attempt})


def audio_url(base: str, item_id: int, language: str) -> str:
    return f"{base}{AUDIO_PATH}/{item_id}/{language}"


@dataclass(frozen=True)
class Part:
    """One thing said inside a question: text for ``<Say>``, or a recording's URL for ``<Play>``."""

    text: str = ""
    play_url: str | None = None


class Speaker:
    """Adds speech in one learner's voice to TwiML nodes."""

    def __init__(self, voice: Voice, rate: str | None = None):
        self.voice = voice
        # The language file's ``[calls] rate`` (SSML prosody), e.g. a slower Tamil voice.
        self.rate = rate if rate is not None else languages.get(voice.language).calls.rate

    def say(self, node, text: str) -> None:
        if not text:
            return
        if self.rate:
            node.say(language=self.voice.say_language, voice=self.voice.voice).prosody(text, rate=self.rate)
        else:
            node.say(text, language=self.voice.say_language, voice=self.voice.voice)

    def part(self, node, part: Part) -> None:
        if part.play_url:
            node.play(part.play_url)
        else:
            self.say(node, part.text)

    def gather(self, response: VoiceResponse, parts: list[Part], *, action: str, timeout: int) -> None:
        """Ask for one key (or a spoken answer), then fall through to the same action."""
        speech = self.voice.speech_language
        kwargs = {"input": "dtmf speech", "language": speech, "speech_timeout": "auto"} if speech else {"input": "dtmf"}
        gather = response.gather(num_digits=1, action=action, method="POST", timeout=timeout, **kwargs)
        for part in parts:
            self.part(gather, part)
        response.redirect(action, method="POST")


def hang_up(speaker: Speaker | None, text: str | None = None) -> VoiceResponse:
    response = VoiceResponse()
    if speaker is not None and text:
        speaker.say(response, text)
    response.hangup()
    return response


def reject() -> VoiceResponse:
    """Refuse an inbound call without answering it: the caller pays nothing, hears busy."""
    response = VoiceResponse()
    response.reject(reason="busy")
    return response

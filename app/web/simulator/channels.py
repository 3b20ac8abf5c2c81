"""How a typed message enters Saathi, per channel. SMS goes through ``receive_sms`` exactly
as the Twilio webhook does; another channel (voice as text, keypad digits) registers its
own entry point here and appears in the simulator's channel menu.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from app.channels.options import current_options
from app.channels.whatsapp_inbound import receive_whatsapp
from app.learning.inbound import receive_sms
from app.models import Learner

# handler(db=, learner=, text=, now=, env=, payload=) -> the messages Saathi answers with, in
# order; ``env`` (app.voice.flow.Env) carries the settings: the policy, the voice options;
# ``payload`` is a tapped button's (WhatsApp), None for typed text
Handler = Callable[..., list[str]]


@dataclass(frozen=True)
class Channel:
    name: str
    label: str  # shown in the menu (an ``_l`` lazy string, so it follows the UI language)
    handle: Handler


CHANNELS: dict[str, Channel] = {}


def register_channel(name: str, label: str, handle: Handler) -> None:
    CHANNELS[name] = Channel(name, label, handle)


def simulated_sid() -> str:
    """A unique inbound id, recognisably not Twilio's."""
    return "SIM" + uuid.uuid4().hex


def _sms(*, db: Session, learner: Learner, text: str, now: datetime, env, payload: str | None = None) -> list[str]:
    return receive_sms(db=db, sid=simulated_sid(), from_number=learner.phone, body=text, now=now,
                       policy=env.policy).messages


def _whatsapp(*, db: Session, learner: Learner, text: str, now: datetime, env,
              payload: str | None = None) -> list[str]:
    """As Twilio posts it: a tap carries the button's text and payload, typed text a Body.
    The answers are queued as WhatsApp messages; the dispatch button sends them."""
    form = {"Body": text, **({"ButtonText": text, "ButtonPayload": payload} if payload else {})}
    return receive_whatsapp(db=db, sid=simulated_sid(), from_address="whatsapp:" + learner.phone, form=form,
                            now=now, policy=env.policy, options=current_options(current_app)).messages


def _voice(*, db: Session, learner: Learner, text: str, now: datetime, env, payload: str | None = None) -> list[str]:
    from app.voice.transcript import voice_channel

    return voice_channel(db=db, learner=learner, text=text, now=now, env=env)


register_channel("sms", _l("SMS"), _sms)
register_channel("whatsapp", _l("WhatsApp"), _whatsapp)
try:
    import app.voice.transcript  # noqa: F401  (the voice channel, if this install has it)
except ModuleNotFoundError as exc:  # pragma: no cover
    if not (exc.name or "").startswith("app.voice"):
        raise
else:
    register_channel("voice", _l("Voice call (keypad)"), _voice)

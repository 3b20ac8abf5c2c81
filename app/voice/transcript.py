"""A voice call played as text, for trainers without a phone (the web simulator, the console).

It runs the very TwiML flow Twilio runs (``flow.start`` / ``flow.answer``, the same
prompts, grading and storage) and reads each step's TwiML back as lines: what ``<Say>``
speaks, what ``<Play>`` plays, where ``<Gather>`` waits for a key. A keypress follows the
step's Gather action, as Twilio would. Like a real call it stores answers and moves
cards; for a dry run, do it in a transaction and roll it back.

    step = start_voice_session(db, learner=learner, now=now)
    while not step.ended:
        show(step.lines); step = press_key(db, action=step.action, key=input(), now=now)
"""
from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from sqlmodel import Session, select

from app.models import Inbound, Learner, Outbox, Prompt, VoiceCall
from app.voice import flow, texts, twiml
from app.voice.calls import build_call, end_call
from app.voice.settings import voice_for
from app.voice.twiml import Speaker


@dataclass
class VoiceStep:
    """One turn of a call as text.

    ``lines``: what the caller hears, in order (stage directions in square brackets);
    ``action``: opaque handle to pass to ``press_key`` for the next turn (None once the
    call has ended); ``keys``: the keys that answer now, e.g. "1-3"; ``twiml``: the raw
    TwiML of this turn.
    """

    lines: list[str] = field(default_factory=list)
    action: str | None = None
    keys: str | None = None
    ended: bool = False
    twiml: str = ""


def start_voice_session(db: Session, *, learner: Learner, now: datetime, env: flow.Env) -> VoiceStep:
    """Call ``learner`` (on paper): their due prompts, or practice if nothing is due."""
    call = build_call(db, learner, now=now, purpose="simulator", options=env.options)
    if call is None:
        speaker = Speaker(voice_for(db, learner.language))
        return _step(db, str(twiml.hang_up(speaker, texts.nothing_to_ask(learner.language))))
    response = flow.start(db, call=call, call_sid="CAsimulator" + uuid.uuid4().hex[:22], now=now, env=env)
    db.flush()
    return _step(db, str(response))


def press_key(db: Session, *, action: str, key: str | None, now: datetime, env: flow.Env) -> VoiceStep:
    """Press ``key`` ("1".."9"), or nothing (None: the Gather times out), and hear what follows."""
    call, prompt_id, attempt = _parse(db, action)
    if call is None:
        return VoiceStep(["[the call has ended]"], ended=True)
    response = flow.answer(db, call=call, prompt_id=prompt_id, attempt=attempt, digits=key or None,
                           speech=None, now=now, env=env)
    db.flush()
    return _step(db, str(response))


def hang_up(db: Session, *, action: str, now: datetime) -> None:
    """The trainer leaves mid-call: unanswered questions go back, as when a learner hangs up."""
    call, _, _ = _parse(db, action)
    if call is not None:
        end_call(db, call, now=now, status="completed")


def voice_session_as_text(db: Session, *, learner: Learner, keys: Iterable[str | None], now: datetime,
                          env: flow.Env) -> list[str]:
    """A whole call as lines: each turn's speech, then ``[presses 2]`` for each key given
    (None: presses nothing). Stops when the call ends or the keys run out."""
    step = start_voice_session(db, learner=learner, now=now, env=env)
    lines = list(step.lines)
    for key in keys:
        if step.ended:
            break
        lines.append(f"[presses {key}]" if key else "[presses nothing]")
        step = press_key(db, action=step.action, key=key, now=now, env=env)
        lines += step.lines
    return lines


HANG_UP_WORDS = {"hangup", "hang up", "bye", "end", "stop call"}
NO_KEY_WORDS = {"-", "none", "wait", "nothing"}


def voice_channel(*, db: Session, learner: Learner, text: str, now: datetime, env: flow.Env) -> list[str]:
    """The simulator's voice channel (its ``Handler`` signature): typed text as a phone's keypad.

    With no simulated call waiting for a key, any text places one (on paper); then each
    text is a keypress: its first character, "-" for no key (the Gather times out), or
    "hang up". Stored like an SMS exchange (``Inbound`` in, ``Outbox`` reply out, both
    channel/kind voice) so the conversation page shows it; returns what was heard.
    """
    call = db.exec(select(VoiceCall).where(VoiceCall.learner_id == learner.id, VoiceCall.purpose == "simulator",
                                           VoiceCall.status == "in-progress")
                   .order_by(VoiceCall.id.desc())).first()
    word = " ".join(text.lower().split())
    if call is None or not call.awaiting:
        step = start_voice_session(db, learner=learner, now=now, env=env)
    elif word in HANG_UP_WORDS:
        hang_up(db, action=call.awaiting, now=now)
        step = VoiceStep(["[hangs up]"], ended=True)
    else:
        key = None if not word or word in NO_KEY_WORDS else word[:1]
        step = press_key(db, action=call.awaiting, key=key, now=now, env=env)
    heard = "\n".join(step.lines)
    db.add(Inbound(sid="SIM" + uuid.uuid4().hex, channel="voice", from_number=learner.phone, body=text[:1600],
                   learner_id=learner.id, reply=heard[:1600], received_at=now))
    db.add(Outbox(learner_id=learner.id, kind="call", purpose="reply", to_number=learner.phone,
                  body=heard[:1600], segments=0, status="replied", next_attempt_at=now, created_at=now,
                  sent_at=now, updated_at=now))
    db.flush()
    return [heard]


def _parse(db: Session, action: str) -> tuple[VoiceCall | None, int, int]:
    query = parse_qs(urlsplit(action or "").query)
    token = (query.get("call") or [""])[0]
    call = db.exec(select(VoiceCall).where(VoiceCall.token == token)).first() if token else None
    try:
        return call, int(query["prompt"][0]), int((query.get("try") or ["1"])[0])
    except (KeyError, ValueError):
        return None, 0, 1


def _step(db: Session, xml: str) -> VoiceStep:
    """Read TwiML back as what a caller would hear."""
    step = VoiceStep(twiml=xml)
    for node in ET.fromstring(xml):
        if node.tag == "Gather":
            step.lines += [_heard(child) for child in node if _heard(child)]
            step.action = node.get("action")
            step.keys = _keys(db, step.action)
            step.lines.append(f"[waits for a key: {step.keys}]")
        elif node.tag == "Hangup":
            step.lines.append("[hangs up]")
            step.ended, step.action = True, None
        elif node.tag == "Reject":
            step.lines.append("[rejects the call]")
            step.ended, step.action = True, None
        elif node.tag != "Redirect" and _heard(node):
            step.lines.append(_heard(node))
    return step


def _heard(node: ET.Element) -> str:
    if node.tag == "Say":  # its text, or the text of the <prosody> inside it
        return "".join(node.itertext()).strip()
    if node.tag == "Play":
        return f"[plays a recording: {(node.text or '').strip()}]"
    return ""


def _keys(db: Session, action: str | None) -> str | None:
    _, prompt_id, _ = _parse(db, action or "")
    prompt = db.get(Prompt, prompt_id) if prompt_id else None
    return f"1-{flow.choices(db, prompt)}" if prompt is not None else None

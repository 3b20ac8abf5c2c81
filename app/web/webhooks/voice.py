"""Voice webhooks: thin adapters from Twilio's form posts to ``app.voice``.

Every POST here is signature-checked. A call Twilio cannot match to a plan is still
answered with TwiML (a goodbye), never with an HTTP error: Twilio would read an error
out to the learner as "an application error has occurred".
"""
from __future__ import annotations

from flask import abort, current_app, request, send_file
from sqlmodel import select

from app.clock import get_clock
from app.db import get_db, locked
from app.learning.inbound import clean_text
from app.models import Item, VoiceCall
from app.voice import flow, texts
from app.voice.incoming import receive_missed_call
from app.voice.settings import current_options, voice_for
from app.voice.status import record_call_status
from app.voice.twiml import Speaker, hang_up, reject
from app.web.webhooks import bp
from app.web.webhooks.signature import twilio_only
from app.web.webhooks.twiml import twiml


def _form(name: str, limit: int = 64) -> str | None:
    return clean_text(request.form.get(name), limit).strip() or None


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdecimal() else None  # "²".isdigit(), but int("²") fails


def _options():
    return current_options(current_app._get_current_object())


def _env() -> flow.Env:
    return flow.Env.from_app(current_app._get_current_object())


def _call():
    """The call a TwiML request is about, locked: Twilio may post a Gather again while the
    first post is still being handled, and both would grade the same question."""
    token = clean_text(request.args.get("call"), 32)
    if not token:
        return None
    return get_db().exec(locked(select(VoiceCall).where(VoiceCall.token == token))).first()


def _lost_call():
    """TwiML for a call we cannot place in any plan: a polite goodbye."""
    db = get_db()
    lang = current_app.config.get("DEFAULT_LANGUAGE") or "en"
    return twiml(hang_up(Speaker(voice_for(db, lang)), texts.goodbye(lang)))


@bp.post("/voice")
@twilio_only
def voice_call():
    """TwiML for an answered quiz call (``?call=<token>``): greeting, then the first question."""
    call = _call()
    if call is None:
        return _lost_call()
    db = get_db()
    response = flow.start(db, call=call, call_sid=_form("CallSid"), now=get_clock().now(),
                          env=_env())
    db.commit()
    return twiml(response)


@bp.post("/voice/answer")
@twilio_only
def voice_answer():
    """A Gather result (``?call=&prompt=&try=``; ``Digits`` or ``SpeechResult``, or neither
    when nothing was pressed): the verdict and the next question, as TwiML."""
    call = _call()
    prompt_id = _int(request.args.get("prompt"))
    if call is None or prompt_id is None:
        return _lost_call()
    db = get_db()
    response = flow.answer(db, call=call, prompt_id=prompt_id, attempt=_int(request.args.get("try")) or 1,
                           digits=_form("Digits", 8), speech=_form("SpeechResult", 200),
                           now=get_clock().now(), env=_env())
    db.commit()
    return twiml(response)


@bp.post("/voice/incoming")
@twilio_only
def voice_incoming():
    """A learner's missed call: ``<Reject>`` (they pay nothing) and a callback is queued.
    An unknown caller hears that the number is not registered. 400 without CallSid/From."""
    sid, caller = _form("CallSid"), _form("From", 32)
    if not sid or not caller:
        abort(400, description="missing CallSid or From")
    db = get_db()
    result = receive_missed_call(db=db, sid=sid, from_number=caller, to_number=_form("To", 32),
                                 now=get_clock().now(), options=_options(), base_url=_options().base_url)
    db.commit()
    if result.known:
        return twiml(reject())
    lang = current_app.config.get("DEFAULT_LANGUAGE") or "en"
    return twiml(hang_up(Speaker(voice_for(db, lang)), texts.unknown_caller(lang)))


@bp.post("/call-status")
@twilio_only
def call_status():
    """Record how a dial ended (idempotent): retries, SMS fallback, call duration. 204;
    400 without CallSid/CallStatus."""
    sid, status = _form("CallSid"), _form("CallStatus", 16)
    if not sid or not status:
        abort(400, description="missing CallSid or CallStatus")
    db = get_db()
    record_call_status(db, sid=sid, status=status, duration=_int(_form("CallDuration", 8)),
                       now=get_clock().now(), options=_options())
    db.commit()
    return "", 204


@bp.get("/voice/audio/<int:item_id>/<lang>")
def voice_audio(item_id: int, lang: str):
    """An item's recording for ``<Play>``. Public (Twilio fetches media unsigned), but it
    serves only files a pack names, from inside that pack's directory. 404 otherwise."""
    db = get_db()
    item = db.get(Item, item_id)
    path = flow.audio_file(db, item, lang[:8], current_app.config.get("CONTENT_DIR")) if item else None
    if path is None:
        abort(404)
    return send_file(path, max_age=3600)

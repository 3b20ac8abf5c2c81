"""``saathi voices list|set|call``: which Twilio voice speaks each language on calls, and a
call played as text in the terminal."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlmodel import Session

from app.cli.people import _find as find_learner
from app.clock import get_clock
from app.db import get_engine, session_scope
from app.voice.flow import Env
from app.voice.settings import all_voices, set_voice
from app.voice.transcript import press_key, start_voice_session

voices_cli = AppGroup("voices", help="Voices for calls: Twilio <Say> language and voice per language.")


@voices_cli.command("list")
def voices_list():
    """Show each language's voice; (default) marks one no table row overrides."""
    with session_scope() as db:
        for voice, code, overridden in all_voices(db):
            if voice is None:
                click.echo(f"{code:4} no Twilio voice: learners of this language get SMS (default)")
                continue
            speech = voice.speech_language or "keypad only"
            origin = "" if overridden else "  (default)"
            click.echo(f"{voice.language:4} {voice.say_language:8} {voice.voice:24} speech: {speech}{origin}")


@voices_cli.command("set")
@click.argument("language")
@click.option("--say-language", help="Twilio <Say> language, e.g. hi-IN.")
@click.option("--voice", help="Twilio voice name, e.g. Polly.Aditi or Google.hi-IN-Standard-A.")
@click.option("--speech-language", help="Language for spoken answers in <Gather>, e.g. hi-IN.")
@click.option("--no-speech", is_flag=True, help="Keypad answers only for this language.")
def voices_set(language, say_language, voice, speech_language, no_speech):
    """Override the voice for LANGUAGE (a learner language code: en, hi, nb, nl ...)."""
    if not (say_language or voice or speech_language or no_speech):
        raise click.UsageError("give --say-language, --voice, --speech-language or --no-speech")
    try:
        with session_scope() as db:
            result = set_voice(db, language.strip().lower(), say_language=say_language, voice=voice,
                               speech_language=speech_language, no_speech=no_speech)
            click.echo(f"{result.language}: {result.say_language} {result.voice} "
                       f"speech: {result.speech_language or 'keypad only'}")
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


@voices_cli.command("call")
@click.argument("phone")
@click.option("--keys", help="Keys to press in turn, comma-separated (- for none); default: ask at each question.")
@click.option("--keep", is_flag=True, help="Store the answers (default: a dry run, nothing is kept).")
def voices_call(phone, keys, keep):
    """Play the call PHONE would get now, as text, answering on the keyboard."""
    presses = [k.strip() for k in keys.split(",")] if keys else None
    now, env = get_clock().now(), Env.from_app(current_app._get_current_object())
    with Session(get_engine(), expire_on_commit=False) as db:
        step = start_voice_session(db, learner=find_learner(db, phone), now=now, env=env)
        while True:
            for line in step.lines:
                click.echo(line)
            if step.ended or presses == []:
                break
            key = presses.pop(0) if presses is not None else click.prompt(
                f"key ({step.keys}, - for none)", default="-", show_default=False)
            key = None if key in ("", "-") else key[:1]
            click.echo(f"[presses {key or 'nothing'}]")
            step = press_key(db, action=step.action, key=key, now=now, env=env)
        if keep:
            db.commit()
        else:
            db.rollback()

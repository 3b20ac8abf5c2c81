"""How Saathi speaks each language on the phone, and the limits of the voice channel.

Voices are Twilio ``<Say>`` names (Amazon Polly or Google voices). The defaults are in
each language's file (``[voice]`` in ``locales/<code>/language.toml``, or ``voice =
"none"`` where no Twilio voice speaks it: those learners get SMS); a ``voice_setting`` row
for a language overrides them, so a deployer can switch voice (``saathi voices set``)
without a release.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, select

from app import languages
from app.languages import Voice
from app.models import VoiceSetting

FALLBACK_LANGUAGE = languages.DEFAULT_LANGUAGE


def default_voices() -> dict[str, Voice]:
    """The voices the language files declare (languages with ``voice = "none"`` left out)."""
    return {code: lang.voice for code, lang in languages.current().items() if lang.voice is not None}


def has_voice(db: Session, language: str) -> bool:
    """Whether a call can speak ``language``: a table row or its file names a voice."""
    return language in default_voices() or db.get(VoiceSetting, language) is not None


def voice_for(db: Session, language: str) -> Voice:
    """The voice for ``language``: its table row, else its file's, else English's (a learner
    of a language no voice speaks is sent SMS; a call in, or a test, still needs a voice)."""
    row = db.get(VoiceSetting, language)
    if row is not None:
        return Voice(row.language, row.say_language, row.voice, row.speech_language or None)
    defaults = default_voices()
    if language in defaults:
        return defaults[language]
    return voice_for(db, FALLBACK_LANGUAGE) if language != FALLBACK_LANGUAGE else defaults[FALLBACK_LANGUAGE]


def all_voices(db: Session) -> list[tuple[Voice | None, str, bool]]:
    """Every language with its voice (None: no voice speaks it), its code, and whether a
    table row overrides the file's default."""
    rows = {row.language: row for row in db.exec(select(VoiceSetting)).all()}
    codes = sorted(set(languages.current()) | set(rows))
    return [(voice_for(db, code) if has_voice(db, code) else None, code, code in rows) for code in codes]


def set_voice(db: Session, language: str, *, say_language: str | None = None, voice: str | None = None,
              speech_language: str | None = None, no_speech: bool = False) -> Voice:
    """Override the voice for ``language``; unset fields keep their current value."""
    current = voice_for(db, language)
    if current.language != language:  # a new language starts from nothing, not from English
        if not (say_language and voice):
            raise ValueError(f"a new language {language!r} needs both --say-language and --voice")
        current = Voice(language, say_language, voice)
    row = db.get(VoiceSetting, language) or VoiceSetting(language=language, say_language="", voice="")
    row.say_language = say_language or current.say_language
    row.voice = voice or current.voice
    row.speech_language = None if no_speech else (speech_language or current.speech_language)
    db.add(row)
    db.flush()
    return voice_for(db, language)


@dataclass(frozen=True)
class VoiceOptions:
    """Voice limits, from ``SAATHI_VOICE_*`` settings (defaults below)."""

    max_questions: int = 5                   # questions one call carries
    max_dials: int = 3                       # dials of one call before giving up
    retry_after: timedelta = timedelta(minutes=10)   # after a busy/unanswered dial; doubles
    call_gap: timedelta = timedelta(hours=4)          # after a call, before the next one
    callback_interval: timedelta = timedelta(minutes=30)  # at most one callback per learner
    callback_delay: timedelta = timedelta(seconds=10)     # let the missed call hang up first
    gather_timeout: int = 8                  # seconds to wait for a key
    # Batching (``calls.review_call_at``): a call of reviews alone waits until this many
    # questions are due, or until the oldest due one has waited ``batch_wait``. Post-session
    # quizzes and callbacks never wait. 1 places a call as soon as one card is due; 5 (a
    # full call) buys more remembered items per rupee in simulation (docs/learning.md,
    # "Batching calls").
    min_questions: int = 5
    batch_wait: timedelta = timedelta(days=7)
    # Where Twilio fetches a call's TwiML (``SAATHI_PUBLIC_URL``, no trailing slash): a call
    # planned on the worker's thread needs it as much as one answered in a web request.
    base_url: str = "http://127.0.0.1:5000"

    @property
    def batch_questions(self) -> int:
        """``min_questions`` within 1..``max_questions`` (a call cannot wait for more than it carries)."""
        return max(1, min(self.min_questions, self.max_questions))

    @classmethod
    def from_config(cls, config) -> VoiceOptions:
        def get(key, default):
            value = config.get(f"VOICE_{key}")
            return default if value in (None, "") else value

        return cls(
            max_questions=int(get("MAX_QUESTIONS", cls.max_questions)),
            max_dials=int(get("MAX_DIALS", cls.max_dials)),
            retry_after=timedelta(minutes=float(get("RETRY_MINUTES", 10))),
            call_gap=timedelta(hours=float(get("CALL_GAP_HOURS", 4))),
            callback_interval=timedelta(minutes=float(get("CALLBACK_INTERVAL_MINUTES", 30))),
            callback_delay=timedelta(seconds=float(get("CALLBACK_DELAY_SECONDS", 10))),
            gather_timeout=int(get("GATHER_TIMEOUT_SECONDS", cls.gather_timeout)),
            min_questions=int(get("MIN_QUESTIONS", cls.min_questions)),
            batch_wait=timedelta(days=float(get("BATCH_WAIT_DAYS", cls.batch_wait / timedelta(days=1)))),
            base_url=str(config.get("PUBLIC_URL") or cls.base_url).rstrip("/"),
        )


def current_options(app) -> VoiceOptions:
    """The app's voice options, read once. Takes the app itself, never ``current_app``:
    the worker's passes run on the scheduler's threads, where no app context exists."""
    options = app.extensions.get("saathi.voice")
    if options is None:
        options = app.extensions["saathi.voice"] = VoiceOptions.from_config(app.config)
    return options

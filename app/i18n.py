"""The system's own words (greetings, "Correct!", help, opt-out confirmations) per language.

Learners' messages are translated by the learner's language, not the request's, so the
engine asks for a language explicitly: ``say("hi", "Correct!")``. Catalogs live in
``locales/<lang>/LC_MESSAGES/messages.po``; a missing or stale ``.mo`` is compiled in
memory so a fresh checkout speaks every language without a build step.
"""
from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from app import languages
from app.languages import DEFAULT_LANGUAGE, LANGUAGES

LOCALES_DIR = languages.DEFAULT_LOCALES_DIR


def translations(lang: str, locales_dir: str | None = None) -> NullTranslations:
    """The catalog of ``lang`` in ``locales_dir`` (the active languages' folder by default)."""
    return _translations(lang, str(locales_dir or languages.current().locales_dir))


@cache
def _translations(lang: str, locales_dir: str) -> NullTranslations:
    base = Path(locales_dir) / lang / "LC_MESSAGES"
    po, mo = base / "messages.po", base / "messages.mo"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fh:
            return Translations(fh)
    if po.exists():
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=lang)
        buf = io.BytesIO()
        write_mo(buf, catalog)
        buf.seek(0)
        return Translations(buf)
    return NullTranslations()


def say(lang: str, message: str, **params) -> str:
    """``message`` translated into ``lang`` and formatted with ``params``."""
    text = translations(lang if lang in LANGUAGES else DEFAULT_LANGUAGE).gettext(message)
    return text.format(**params) if params else text


class Said(str):
    """A message built for translation: prints as English (logs, the CLI's default, old
    callers that compare strings), and ``said(lang)`` gives it in ``lang`` from the catalog.

    ``msgid`` is a catalog id marked with ``N_``; ``params`` fill its ``{placeholders}`` and
    may themselves be ``Said`` (or anything with ``said``), translated in the same language,
    so "option 3 of item 'x'" inside a sentence is Tamil in a Tamil sentence.
    """

    msgid: str
    params: dict

    def __new__(cls, msgid: str, **params):
        self = super().__new__(cls, msgid.format(**params) if params else msgid)
        self.msgid, self.params = msgid, params
        return self

    def said(self, lang: str) -> str:
        params = {key: said(value, lang) for key, value in self.params.items()}
        return say(lang, self.msgid, **params)

    def __reduce__(self):
        return (_said, (self.msgid, self.params))


def _said(msgid: str, params: dict) -> Said:
    return Said(msgid, **params)


class Explained(ValueError):
    """A mistake explained to a person: a ``Said`` raised, so each reader gets it in their own
    language (``said``), nested parameters too; ``str()`` is the English text, for logs and CLI.

    It holds its message rather than repeating ``Said``'s formatting, so the two cannot drift.
    """

    def __init__(self, msgid: str, **params):
        self.message = Said(msgid, **params)
        super().__init__(str(self.message))

    @property
    def msgid(self) -> str:
        return self.message.msgid

    @property
    def params(self) -> dict:
        return self.message.params

    def said(self, lang: str) -> str:
        return self.message.said(lang)

    def __str__(self) -> str:
        return str(self.message)

    def __reduce__(self):
        return (_explained, (type(self), self.msgid, self.params))


def _explained(cls, msgid: str, params: dict) -> Explained:
    return cls(msgid, **params)


class Joined(str):
    """Several ``Said`` parts printed with a separator, each said in the reader's language."""

    def __new__(cls, parts, separator: str = ", "):
        parts = list(parts)
        self = super().__new__(cls, separator.join(str(part) for part in parts))
        self.parts, self.separator = parts, separator
        return self

    def said(self, lang: str) -> str:
        return self.separator.join(said(part, lang) for part in self.parts)


def said(value, lang: str):
    """``value`` in ``lang`` if it can be said (``Said``, ``Joined``, a language's name), else as is."""
    return value.said(lang) if hasattr(value, "said") else value


def N_(message: str) -> str:
    """Marks a string for extraction where it is translated later, with ``say``."""
    return message


def init_app(app) -> None:
    """Speak the languages of ``SAATHI_LOCALES_DIR`` (default: the repository's ``locales/``)."""
    languages.use(app.config.get("LOCALES_DIR") or LOCALES_DIR)
    app.config.setdefault("LANGUAGES", LANGUAGES)
    app.jinja_env.globals.setdefault("LANGUAGES", LANGUAGES)

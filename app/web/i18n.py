"""The staff UI's language: Flask-Babel over the same ``locales/`` catalogs as ``say()``.

The language is the signed-in user's (``User.language``), else the one picked on the
sign-in page (kept in the session), else the browser's best match. Catalogs are read as
``say()`` reads them: a missing or stale ``.mo`` is compiled in memory, so a fresh checkout
or a language just added speaks at once.
"""
from __future__ import annotations

from babel.support import NullTranslations
from flask import Flask, request, session
from flask_babel import Babel, Domain, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import languages
from app.content.text_kinds import TEXT_KINDS
from app.i18n import DEFAULT_LANGUAGE, LANGUAGES, translations
from app.learning.prompt_kinds import KINDS
from app.web import formatting


class CatalogDomain(Domain):
    """Flask-Babel's domain reading catalogs as ``say()`` does (``app.i18n.translations``):
    a catalog whose ``.mo`` is missing or older than its ``.po`` (a language just added, a
    string just translated) is compiled in memory instead of showing English."""

    def get_translations(self):
        locale = get_locale()
        return translations(str(locale)) if locale is not None else NullTranslations()


def select_language() -> str:
    if current_user and current_user.is_authenticated and current_user.language in LANGUAGES:
        return current_user.language
    chosen = session.get("language")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(list(LANGUAGES)) or DEFAULT_LANGUAGE


def language_name(code: str) -> str:
    """A language's name in the UI's language (CLDR), else in itself (its file)."""
    from babel import Locale, UnknownLocaleError

    ui = str(get_locale() or DEFAULT_LANGUAGE)
    reader = languages.current().get(ui)
    try:
        # A UI language whose CLDR data is another language's (a pseudo-locale, a new language
        # Babel does not know) names languages in themselves rather than in that other language.
        name = None if reader is None or Locale.parse(reader.locale).language != ui else \
            Locale.parse(languages.get(code).locale).get_display_name(ui)
    except (ValueError, UnknownLocaleError):
        name = None
    return name or (languages.current()[code].name if code in languages.current() else code)


def said_here(value) -> str:
    """A ``Said`` message (a pack problem, a validator note) in the UI's language."""
    from app.i18n import said

    return said(value, str(get_locale() or DEFAULT_LANGUAGE))


def has_voice(code: str) -> bool:
    """Whether a language's file names a Twilio voice (``saathi voices`` rows aside)."""
    return code in languages.current() and languages.current()[code].voice is not None


def localized(texts: dict | str | None) -> str:
    """A content text (``{"en": ..., "hi": ...}``) in the UI's language, else English, else any."""
    if not texts:
        return ""
    if isinstance(texts, str):
        return texts
    lang = str(get_locale() or DEFAULT_LANGUAGE)
    return texts.get(lang) or texts.get("en") or next(iter(texts.values()), "")


# Labels are catalog ids kept beside each kind: a prompt's (app/learning/prompt_kinds.py) and
# a pack text's (app/content/text_kinds.py: the check page's cost table).
PROMPT_KINDS = {name: _l(kind.label) for name, kind in KINDS.items()}
TEXT_KIND_LABELS = {name: _l(label) for name, label in TEXT_KINDS.items()}


# A message's purpose, status and channel as stored (English codes), as staff read them.
MESSAGE_LABELS = {
    "prompt": _l("prompt"), "reminder": _l("reminder"), "reply": _l("reply"), "notice": _l("notice"),
    "callback": _l("callback"), "queued": _l("queued"), "sending": _l("sending"), "accepted": _l("accepted"),
    "sent": _l("sent"), "delivered": _l("delivered"), "undelivered": _l("undelivered"), "failed": _l("failed"),
    "replied": _l("replied"), "dead": _l("given up"), "cancelled": _l("cancelled"), "voice": _l("call"),
}


def message_label(code: str | None) -> str:
    return str(MESSAGE_LABELS.get(code, code or ""))


def prompt_kind(kind: str) -> str:
    """A prompt's kind as staff read it (the stored value is an English code)."""
    return str(PROMPT_KINDS.get(kind, kind))


def text_kind(kind: str) -> str:
    """A pack text's kind as staff read it ("explanation" is a wrong-answer reply)."""
    return str(TEXT_KIND_LABELS.get(kind, kind))


def init_app(app: Flask) -> None:
    # One Babel per app: its translation cache must not outlive the app's catalog folder.
    babel = Babel(app, default_locale=DEFAULT_LANGUAGE, default_domain="messages",
                  default_translation_directories=str(languages.current().locales_dir),
                  locale_selector=select_language)
    babel.domain_instance = CatalogDomain(domain="messages")
    app.jinja_env.filters["localized"] = localized
    app.jinja_env.filters["prompt_kind"] = prompt_kind
    app.jinja_env.filters["text_kind"] = text_kind
    app.jinja_env.filters["message_label"] = message_label
    app.jinja_env.filters["language_name"] = language_name
    app.jinja_env.filters["said"] = said_here
    app.jinja_env.tests["has_voice"] = has_voice
    formatting.init_app(app)
    app.jinja_env.globals.setdefault("LANGUAGES", LANGUAGES)
    app.context_processor(ui_context)


def ui_context() -> dict:
    """Names every template uses: the UI language and the roles' names in it."""
    locale = str(get_locale() or DEFAULT_LANGUAGE)
    return {
        "current_locale": locale,
        "text_direction": "rtl" if locale in languages.current() and languages.current()[locale].rtl else "ltr",
        "role_names": {"admin": _("Admin"), "trainer": _("Trainer"), "supervisor": _("Supervisor")},
        "status_names": {"active": _("active"), "opted_out": _("opted out"), "invalid": _("invalid number"),
                         "inactive": _("deactivated")},
    }

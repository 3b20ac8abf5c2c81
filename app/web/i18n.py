"""The staff UI's language: Flask-Babel over the same ``locales/`` catalogs as ``say()``.

The language is the signed-in user's (``User.language``), else the one picked on the
sign-in page (kept in the session), else the browser's best match. Without compiled
``.mo`` files every string falls back to its English id, so a fresh checkout still works.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import Flask, request, session
from flask_babel import Babel, format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import languages
from app.i18n import DEFAULT_LANGUAGE, LANGUAGES


def select_language() -> str:
    if current_user and current_user.is_authenticated and current_user.language in LANGUAGES:
        return current_user.language
    chosen = session.get("language")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(list(LANGUAGES)) or DEFAULT_LANGUAGE


def local_time(value: datetime | None, tz: str | None = None, fmt: str = "medium") -> str:
    """A stored UTC time shown in ``tz`` (a site's timezone) in the user's language."""
    if value is None:
        return "–"
    return format_datetime(value, fmt, tzinfo=ZoneInfo(tz or "UTC"), locale=get_locale() or "en")


def percent(value: float | None) -> str:
    """A 0-1 share as a whole percentage in the user's locale; '–' when there is no data."""
    if value is None:
        return "–"
    return format_decimal(round(100 * value), format="#,##0") + " %"


def localized(texts: dict | str | None) -> str:
    """A content text (``{"en": ..., "hi": ...}``) in the UI's language, else English, else any."""
    if not texts:
        return ""
    if isinstance(texts, str):
        return texts
    lang = str(get_locale() or DEFAULT_LANGUAGE)
    return texts.get(lang) or texts.get("en") or next(iter(texts.values()), "")


PROMPT_KINDS = {"greeting": _l("greeting"), "question": _l("question"), "review": _l("review question"),
                "practice": _l("practice question"), "rating": _l("rating"), "comment": _l("comment")}


def prompt_kind(kind: str) -> str:
    """A prompt's kind as staff read it (the stored value is an English code)."""
    return str(PROMPT_KINDS.get(kind, kind))


def init_app(app: Flask) -> None:
    # One Babel per app: its translation cache must not outlive the app's catalog folder.
    Babel(app, default_locale=DEFAULT_LANGUAGE, default_domain="messages",
          default_translation_directories=str(languages.current().locales_dir), locale_selector=select_language)
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["percent"] = percent
    app.jinja_env.filters["localized"] = localized
    app.jinja_env.filters["prompt_kind"] = prompt_kind
    app.jinja_env.globals.setdefault("LANGUAGES", LANGUAGES)
    app.context_processor(ui_context)


def ui_context() -> dict:
    """Names every template uses: the UI language and the roles' names in it."""
    return {
        "current_locale": str(get_locale() or DEFAULT_LANGUAGE),
        "role_names": {"admin": _("Admin"), "trainer": _("Trainer"), "supervisor": _("Supervisor")},
        "status_names": {"active": _("active"), "opted_out": _("opted out"), "invalid": _("invalid number"),
                         "inactive": _("deactivated")},
    }

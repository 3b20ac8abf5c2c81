"""Dates, times, numbers and money as the reader's language writes them (CLDR, through Babel).

One home for every template filter that turns a value into text: ``4 Dec 2026, 3:42 PM IST``,
``4. des. 2026, 15:42 CET``, ``४ दिस॰ २०२६, 3:42 pm IST``. A stored moment is always a real
instant (UTC in the database); it is shown in the site's timezone, and the zone is written
next to every time, so a supervisor in Oslo reading a Pune site knows whose clock it is.
The CLDR locale and whether dates use the script's own digits come from the language file
(``babel_locale``, ``dates_in_own_digits``).
"""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_skeleton, format_time
from babel.numbers import format_currency, format_decimal
from flask_babel import get_locale

from app import languages
from app.languages import DEFAULT_LANGUAGE

NOTHING = "–"


def ui_language() -> languages.Language:
    return languages.get(str(get_locale() or DEFAULT_LANGUAGE))


def ui_locale() -> Locale:
    """The CLDR locale of the UI language (``en`` is written as in India: ``en_IN``)."""
    return Locale.parse(ui_language().locale)


def _own_digits(text: str, lang: languages.Language) -> str:
    if not lang.dates_in_own_digits:
        return text
    return text.translate({ord(str(n)): ch for n, ch in enumerate(lang.digits)})


def moment(value: datetime | None, tz: str | None = None, fmt: str = "datetime") -> str:
    """A stored instant in ``tz`` (the site's zone; UTC if none), zone named:
    ``fmt`` is ``datetime`` (the default; ``short``/``medium`` mean the same), ``date`` or ``time``."""
    if value is None:
        return NOTHING
    local = value.astimezone(ZoneInfo(tz or "UTC"))
    locale, lang = ui_locale(), ui_language()
    day = format_date(local, "medium", locale=locale)
    if fmt == "date":
        return _own_digits(day, lang)
    clock = f"{format_time(local, 'short', locale=locale)} {local.tzname()}"
    if fmt == "time":
        return _own_digits(clock, lang)
    pattern = locale.datetime_formats.get("medium", "{1}, {0}")
    return _own_digits(str(pattern).format(clock, day), lang)


def day(value: date | None, fmt: str = "medium") -> str:
    """A calendar date (a report's period, a consent day): no zone, it is nobody's instant."""
    if value is None:
        return NOTHING
    if fmt == "short_day":  # a chart's axis: "4 Dec", "4. des.", "৪ ডিসে"
        return _own_digits(format_skeleton("MMMd", value, locale=ui_locale()), ui_language())
    return _own_digits(format_date(value, fmt, locale=ui_locale()), ui_language())


def number(value, fmt: str | None = None) -> str:
    """A count or measure with the locale's grouping and decimal signs."""
    if value is None:
        return NOTHING
    return format_decimal(value, format=fmt, locale=ui_locale())


def percent(value: float | None) -> str:
    """A 0-1 share as a whole percentage in the user's locale; '–' when there is no data."""
    if value is None:
        return NOTHING
    return format_decimal(round(100 * value), format="#,##0", locale=ui_locale()) + " %"


def money(value: float | None, currency: str | None, digits: int = 2) -> str:
    """An amount in ``currency`` (ISO code: INR, NOK, EUR) as the UI language writes it."""
    return money_in(value, currency, ui_locale(), digits)


def money_in(value: float | None, currency: str | None, locale: Locale | str, digits: int = 2) -> str:
    """``money`` in a given locale, outside a request (``saathi simulate`` writes English)."""
    if value is None or not currency:
        return NOTHING
    pattern = None if digits == 2 else "¤#,##0." + "0" * digits if digits else "¤#,##0"
    return format_currency(value, currency, format=pattern, locale=locale, currency_digits=digits == 2)


def init_app(app) -> None:
    """Every template formats through these, also under Flask-Babel's filter names."""
    filters = app.jinja_env.filters
    filters["local_time"] = moment
    filters["moment"] = moment
    filters["dateformat"] = day
    filters["day"] = day
    filters["numberformat"] = number
    filters["decimalformat"] = number
    filters["percent"] = percent
    filters["money"] = money

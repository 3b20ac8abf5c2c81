"""CSV that opens right in Excel and LibreOffice, or stays plain for scripts.

A spreadsheet needs three things a script does not: a byte-order mark (Excel reads UTF-8
without one as the local code page: mojibake in every script but Latin), headers in the
reader's language, and the reader's list separator: where the decimal sign is a comma
(nb, nl), Excel splits on ";" and reads "66,7" as a number. ``machine`` columns are the
stable English names, "," and "." and no BOM, for ``csv.DictReader`` and friends.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from babel.numbers import get_decimal_symbol

from app import languages
from app.i18n import say

BOM = "\ufeff"
MACHINE, LOCALISED = "machine", "localised"
COLUMN_STYLES = (LOCALISED, MACHINE)


def cell(value):
    """Spreadsheet-safe: a text starting with = + - @ would run as a formula in Excel."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_text(columns: Sequence[str], rows: Iterable[Sequence], *, labels: dict[str, str] | None = None,
             style: str = LOCALISED, language: str = languages.DEFAULT_LANGUAGE) -> str:
    """``rows`` under ``columns`` (machine names); ``labels`` maps a column to its English
    label, translated into ``language`` for a spreadsheet."""
    out = io.StringIO()
    if style == MACHINE:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(columns)
        writer.writerows([[cell(v) for v in row] for row in rows])
        return out.getvalue()
    comma = get_decimal_symbol(languages.get(language).locale) == ","
    writer = csv.writer(out, delimiter=";" if comma else ",", lineterminator="\r\n")
    writer.writerow([say(language, (labels or {}).get(c, c)) for c in columns])
    for row in rows:
        writer.writerow([str(v).replace(".", ",") if comma and isinstance(v, float) else cell(v) for v in row])
    return BOM + out.getvalue()

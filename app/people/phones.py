"""Phone numbers in E.164, the form Twilio sends back in ``From``.

Numbers are written every way on registration sheets ("098765 43210", "+91-98765-43210");
``phonenumbers`` knows each country's rules, and the site's country is the default region
for numbers written without a country code.
"""
from __future__ import annotations

import phonenumbers
from phonenumbers import timezone as pn_timezone

from app.i18n import N_, Explained


class PhoneError(Explained):
    pass


def normalize_phone(raw: str, default_region: str | None = None) -> str:
    """``raw`` as E.164, or ``PhoneError`` saying why not."""
    text = (raw or "").strip()
    if not text:
        raise PhoneError(N_("phone number is empty"))
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else default_region)
    except phonenumbers.NumberParseException as exc:
        if not default_region and not text.startswith("+"):
            raise PhoneError(N_("'{raw}' has no country code and the site's country is unknown"), raw=raw) from exc
        raise PhoneError(N_("'{raw}' is not a phone number"), raw=raw) from exc
    if not phonenumbers.is_valid_number(number):
        raise PhoneError(N_("'{raw}' is not a valid phone number"), raw=raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def region_of(e164: str) -> str | None:
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return None


def timezones_of(e164: str) -> tuple[str, ...]:
    try:
        zones = pn_timezone.time_zones_for_number(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return ()
    return tuple(z for z in zones if z != "Etc/Unknown")


MASK = "\u2022"  # a bullet: reads as "hidden", and is never mistaken for a digit


def masked_phone(e164: str | None) -> str:
    """A number as staff who may not see it read it: country code and the last four digits.

    ``+91 ••••• •3205``: enough to tell two learners apart (and to match a number the
    learner reads out), too little to call them. Grouped as the country writes numbers.
    Logs use the shorter ``mask_phone`` (app/messaging/transport.py).
    """
    if not e164:
        return "–"
    try:
        number = phonenumbers.parse(e164, None)
        written = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        prefix = f"+{number.country_code}"
    except phonenumbers.NumberParseException:
        written, prefix = e164, e164[:3]
    if not written.startswith(prefix):
        written, prefix = e164, e164[:3]
    rest = written[len(prefix):]
    digits = sum(c.isdigit() for c in rest)
    keep, out = 4, []
    for c in rest:
        if c.isdigit():
            digits -= 1
            out.append(c if digits < keep else MASK)
        else:
            out.append(c)
    return prefix + "".join(out)

"""SMS segment maths: what a text will cost before it is sent.

Carriers bill per segment, not per message. A text that fits the GSM 03.38 alphabet
travels as 7-bit GSM (160 septets alone, 153 per part once concatenated); one single
character outside it (a curly quote, an emoji, any Devanagari letter) switches the whole
message to UCS-2 (70 code units alone, 67 per part). Characters of the GSM extension
table (``^{}[]~|\\€`` and form feed) cost two septets. Twilio counts the same way,
so these figures are what the programme pays.
"""
from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# Characters that sneak into texts written in word processors and silently force UCS-2,
# mapped to the GSM-7 character a trainer almost certainly meant.
LOOKALIKES = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
    "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u2026": "...", "\u00a0": " ", "\u2009": " ", "\u200b": "",
}


@dataclass(frozen=True)
class SegmentInfo:
    """The cost of one text: its encoding, length in billing units and segment count."""

    encoding: str
    units: int
    segments: int
    offending: tuple[str, ...] = ()

    @property
    def per_segment(self) -> int:
        """How many units fit in each part at this segment count."""
        if self.encoding == GSM7:
            return 160 if self.segments <= 1 else 153
        return 70 if self.segments <= 1 else 67


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def count_segments(text: str) -> SegmentInfo:
    """Encoding and segment count of ``text`` as a carrier will bill it.

    Splitting never breaks an extension-character escape or a UTF-16 surrogate pair
    across parts, as real handsets do, so the count can exceed a plain ceil-division.
    """
    if not text:
        return SegmentInfo(GSM7, 0, 1)
    if is_gsm7(text):
        costs = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
        single, multi, encoding = 160, 153, GSM7
        offending: tuple[str, ...] = ()
    else:
        costs = [_utf16_units(ch) for ch in text]
        single, multi, encoding = 70, 67, UCS2
        offending = tuple(sorted({ch for ch in text if ch not in GSM7_BASIC and ch not in GSM7_EXTENSION}))
    units = sum(costs)
    if units <= single:
        return SegmentInfo(encoding, units, 1, offending)
    segments, used = 1, 0
    for cost in costs:
        if used + cost > multi:
            segments += 1
            used = 0
        used += cost
    return SegmentInfo(encoding, units, segments, offending)


def gsm7_lookalike_fix(text: str) -> str | None:
    """The text with typographic look-alikes replaced, if that makes it GSM-7; else None."""
    fixed = "".join(LOOKALIKES.get(ch, ch) for ch in text)
    if fixed != text and is_gsm7(fixed):
        return fixed
    return None

"""Reading what a tired person typed on a feature phone.

"2", "२", "௨", " B. ", "b)", "2️⃣", "Refuse and hang up" all mean the same answer. Anything we
cannot read returns ``None`` (the engine re-asks); nothing here raises on odd input. The
digits, option letters and answer words of each script come from its language file
(``app.languages``).
"""
from __future__ import annotations

import unicodedata

from app import languages

LATIN_LETTERS = "abcd"
MAX_READ = 200  # a reply longer than this is a comment, not a choice


def normalize(text: str, extra_digits: dict[str, int] | None = None) -> str:
    """Casefolded, NFKC, every decimal digit as ASCII (with the digits the language files
    add, by default), punctuation and symbols dropped, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text or "")[: MAX_READ * 8]
    if extra_digits is None:
        extra_digits = languages.current().digit_values
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat == "Nd":
            out.append(str(unicodedata.digit(ch)))
        elif ch in extra_digits:
            out.append(str(extra_digits[ch]))
        elif cat[0] == "L" or cat in ("Mn", "Mc") and not 0xFE00 <= ord(ch) <= 0xFE0F:
            out.append(ch)
        else:
            out.append(" ")
    return " ".join("".join(out).casefold().split())


def parse_number(text: str, low: int, high: int) -> int | None:
    """A whole number in ``low..high`` when the reply is just that number."""
    norm = normalize(text)
    tokens = norm.split()
    if len(tokens) == 2 and tokens[0] in languages.current().answer_words:
        norm = tokens[1]
    if norm.isascii() and norm.isdigit() and len(norm) <= 3:
        value = int(norm)
        if low <= value <= high:
            return value
    return None


def parse_choice(text: str, options: list[str] | list[list[str]], language: str | None = None) -> int | None:
    """The 1-based option a reply names: by number, letter (a-d, or the script's own such
    as क-घ) or the option's text.

    ``options`` holds each option's text, or for each option the list of its texts in
    several languages (a learner may answer in English to a Hindi question). Without
    ``language`` only letters that mean the same option in every script count.
    """
    if not text or len(text) > MAX_READ:
        return None
    count = len(options)
    number = parse_number(text, 1, count)
    if number:
        return number
    norm = normalize(text)
    if len(norm) == 1:
        letter = _letter(norm, language)
        if letter is not None and letter < count:
            return letter + 1
    if not norm:
        return None
    normalized = [[normalize(t) for t in ([texts] if isinstance(texts, str) else texts) if t]
                  for texts in options]
    for index, variants in enumerate(normalized, start=1):
        if norm in variants:
            return index
    # "payee name" for "The payee name": words of exactly one option, if long enough to mean it.
    if len(norm) >= 4:
        hits = {index for index, variants in enumerate(normalized, start=1)
                if any(f" {norm} " in f" {v} " for v in variants)}
        if len(hits) == 1:
            return hits.pop()
    return None


def _letter(ch: str, language: str | None) -> int | None:
    """0-based position of an option letter, or None."""
    if ch in LATIN_LETTERS:
        return LATIN_LETTERS.index(ch)
    if language is not None:
        own = normalize(languages.get(language).option_letters).replace(" ", "")
        return own.index(ch) if ch in own else None
    return languages.current().shared_letters.get(ch)


def words(text: str) -> list[str]:
    return normalize(text).split()

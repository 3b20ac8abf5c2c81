"""Reading what a tired person typed on a feature phone.

"2", "२", " B. ", "b)", "2️⃣", "Refuse and hang up" all mean the same answer. Anything we
cannot read returns ``None`` (the engine re-asks); nothing here raises on odd input.
"""
from __future__ import annotations

import unicodedata

LATIN_LETTERS = "abcd"
DEVANAGARI_LETTERS = "कखगघ"  # ka kha ga gha, as Hindi lists are lettered
MAX_READ = 200  # a reply longer than this is a comment, not a choice
ANSWER_WORDS = {"option", "answer", "no", "nr", "उत्तर", "विकल्प", "svar", "alternativ", "antwoord", "optie"}


def normalize(text: str) -> str:
    """Casefolded, NFKC, every decimal digit as ASCII, punctuation and symbols dropped,
    whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text or "")[: MAX_READ * 8]
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat == "Nd":
            out.append(str(unicodedata.digit(ch)))
        elif cat[0] == "L" or cat in ("Mn", "Mc") and not 0xFE00 <= ord(ch) <= 0xFE0F:
            out.append(ch)
        else:
            out.append(" ")
    return " ".join("".join(out).casefold().split())


def parse_number(text: str, low: int, high: int) -> int | None:
    """A whole number in ``low..high`` when the reply is just that number."""
    norm = normalize(text)
    tokens = norm.split()
    if len(tokens) == 2 and tokens[0] in ANSWER_WORDS:
        norm = tokens[1]
    if norm.isascii() and norm.isdigit() and len(norm) <= 3:
        value = int(norm)
        if low <= value <= high:
            return value
    return None


def parse_choice(text: str, options: list[str] | list[list[str]]) -> int | None:
    """The 1-based option a reply names: by number, letter (a-d / क-घ) or the option's text.

    ``options`` holds each option's text, or for each option the list of its texts in
    several languages (a learner may answer in English to a Hindi question).
    """
    if not text or len(text) > MAX_READ:
        return None
    count = len(options)
    number = parse_number(text, 1, count)
    if number:
        return number
    norm = normalize(text)
    for letters in (LATIN_LETTERS, DEVANAGARI_LETTERS):
        if len(norm) == 1 and norm in letters[:count]:
            return letters.index(norm) + 1
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


def words(text: str) -> list[str]:
    return normalize(text).split()

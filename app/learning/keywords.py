"""Command words a learner can send, in every language Saathi speaks.

Twilio's standard opt-out and opt-in words work in any language; each language adds its
own so a Hindi speaker never has to type English to stop. A keyword counts only when it
is the whole message (case, spaces and punctuation aside): "please stop" is a comment.
"""
from __future__ import annotations

from app.i18n import LANGUAGES
from app.learning.parsing import words

STOP, START, HELP, LANG, QUIZ, SCORE = "stop", "start", "help", "lang", "quiz", "score"

KEYWORDS: dict[str, dict[str, tuple[str, ...]]] = {
    STOP: {
        "en": ("stop", "stopall", "unsubscribe", "cancel", "end", "quit"),
        "hi": ("रोको", "रोकें", "बंद", "बंद करो", "रुको"),
        "nb": ("stopp", "avslutt", "avmeld"),
        "nl": ("stoppen", "afmelden", "uitschrijven"),
    },
    START: {
        "en": ("start", "yes", "unstop"),
        "hi": ("शुरू", "चालू", "हाँ", "हां"),
        "nb": ("ja", "meld på"),
        "nl": ("aanmelden", "ja"),
    },
    HELP: {
        "en": ("help", "info"),
        "hi": ("मदद", "सहायता", "जानकारी"),
        "nb": ("hjelp",),
        "nl": ("hulp",),
    },
    LANG: {"en": ("lang", "language"), "hi": ("भाषा",), "nb": ("språk",), "nl": ("taal",)},
    QUIZ: {"en": ("quiz", "practice"), "hi": ("क्विज़", "क्विज", "अभ्यास"), "nb": ("øv",), "nl": ("oefen",)},
    SCORE: {"en": ("score", "progress"), "hi": ("स्कोर", "अंक"), "nb": ("poeng", "resultat"), "nl": ("resultaat",)},
}

# What a learner may type to pick a language, with or without the LANG keyword.
LANGUAGE_WORDS = {
    "en": ("en", "english", "अंग्रेजी", "अंग्रेज़ी", "engelsk", "engels"),
    "hi": ("hi", "hindi", "हिंदी", "हिन्दी", "hindi"),
    "nb": ("nb", "no", "norsk", "norwegian", "bokmål", "noors"),
    "nl": ("nl", "dutch", "nederlands", "nederlandsk"),
}

_LOOKUP = {w: kind for kind, per_lang in KEYWORDS.items() for ws in per_lang.values() for w in ws}
_LANG_LOOKUP = {w: code for code, ws in LANGUAGE_WORDS.items() for w in ws}
assert set(LANGUAGE_WORDS) == set(LANGUAGES)


def match_keyword(text: str) -> tuple[str, str | None] | None:
    """``(keyword, argument)`` when the whole reply is a command, else ``None``.

    The argument is a language code for LANG ("LANG hi", "भाषा हिंदी", or just "Hindi").
    """
    tokens = words(text)
    if not tokens or len(tokens) > 3:
        return None
    phrase = " ".join(tokens)
    if phrase in _LOOKUP:
        return _LOOKUP[phrase], None
    if _LOOKUP.get(tokens[0]) == LANG:
        rest = " ".join(tokens[1:])
        return LANG, _LANG_LOOKUP.get(rest, rest or None)
    if len(tokens) == 1 and tokens[0] in _LANG_LOOKUP and len(tokens[0]) > 2:
        return LANG, _LANG_LOOKUP[tokens[0]]
    return None

"""Command words a learner can send, in every language Saathi speaks.

Twilio's standard opt-out and opt-in words work in any language; each language adds its
own (``[words]`` in ``locales/<code>/language.toml``) so a Hindi speaker never has to type
English to stop. A keyword counts only when it is the whole message (case, spaces and
punctuation aside): "please stop" is a comment.
"""
from __future__ import annotations

from app import languages
from app.learning.parsing import words

STOP, START, HELP, LANG, QUIZ, SCORE = languages.COMMANDS


def words_for(kind: str, language: str) -> tuple[str, ...]:
    """The command words of ``kind`` in ``language`` (English ones if it has none)."""
    return languages.get(language).words.get(kind) or languages.get(None).words.get(kind, (kind,))


def match_keyword(text: str) -> tuple[str, str | None] | None:
    """``(keyword, argument)`` when the whole reply is a command, else ``None``.

    The argument is a language code for LANG ("LANG hi", "भाषा हिंदी", or just "Hindi").
    """
    tokens = words(text)
    if not tokens or len(tokens) > 3:
        return None
    registry = languages.current()
    commands, names = registry.commands, registry.language_words
    phrase = " ".join(tokens)
    if phrase in commands:
        return commands[phrase], None
    if commands.get(tokens[0]) == LANG:
        rest = " ".join(tokens[1:])
        return LANG, names.get(rest, rest or None)
    if len(tokens) == 1 and tokens[0] in names and len(tokens[0]) > 2:
        return LANG, names[tokens[0]]
    return None

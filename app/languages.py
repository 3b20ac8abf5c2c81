"""The languages Saathi speaks, read from ``locales/<code>/language.toml``.

A language is data, not code: its folder holds the UI catalog (``LC_MESSAGES``) and a
small file with everything else the system needs to serve a learner in it (its name, the
command words, the digits and option letters of its script, the voice for calls or
"none", the SMS budget of a question). Every module that once kept a table per language
(keywords, parsing, voices, the content validator, the import's language names) asks
here instead, so adding a folder adds a language. ``docs/languages.md`` has the format.

One registry is active per process: ``use(dir)`` (called by ``create_app`` with
``SAATHI_LOCALES_DIR``) loads a folder; until then the repository's ``locales/`` is read
on first use. Domain code reads it like a constant table, so it needs no app context.
"""
from __future__ import annotations

import tomllib
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from app.config import REPO_ROOT

DEFAULT_LOCALES_DIR = REPO_ROOT / "locales"
DEFAULT_LANGUAGE = "en"
FILENAME = "language.toml"
COMMANDS = ("stop", "start", "help", "lang", "quiz", "score")
WORD_KINDS = (*COMMANDS, "answer", "names")  # and "numbers", a list of lists
DIRECTIONS = ("ltr", "rtl")


class LanguageFileError(ValueError):
    """A ``language.toml`` Saathi cannot use; the message names the file and the key."""


@dataclass(frozen=True)
class Voice:
    """``say_language``/``voice`` go on ``<Say>``; ``speech_language`` (if any) lets
    ``<Gather>`` also listen for a spoken answer."""

    language: str
    say_language: str
    voice: str
    speech_language: str | None = None


OPTION_STYLES = ("press", "number")
RATE_WORDS = ("x-slow", "slow", "medium", "fast", "x-fast")


@dataclass(frozen=True)
class CallStyle:
    """How a call speaks this language (``[calls]`` in its file).

    ``rate`` is an SSML prosody rate for every ``<Say>`` (``"90%"``, ``"slow"``; None: the
    voice's own pace). ``options`` says how a question's options are read: ``"press"`` reads
    the catalog's "Press {number} for {option}." (natural in English, Hindi, Norwegian);
    ``"number"`` reads the option's number as the language says it (its ``words.numbers``),
    then the option, as Tamil speakers list choices. ``option_format`` overrides the
    sentence itself: ``{number}`` (the spoken number), ``{digit}``, ``{letter}``, ``{option}``.
    """

    rate: str | None = None
    options: str = "press"
    option_format: str | None = None


@dataclass(frozen=True)
class Language:
    code: str
    name: str  # in itself: हिन्दी
    english_name: str  # for trainers' error messages: Hindi
    direction: str = "ltr"
    digits: str = "0123456789"
    option_letters: str = ""  # how the script letters a list (क ख ग घ), beside a b c d
    gsm7: bool = False  # its texts fit the GSM-7 alphabet when written carefully
    question_budget: int = 1  # most SMS segments a question with its options should take
    voice: Voice | None = None  # None: no Twilio voice speaks it, learners get SMS
    words: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    numbers: tuple[tuple[str, ...], ...] = ()  # spoken "one", "two" ... (each with its variants)
    babel_locale: str = ""  # CLDR locale for dates and numbers; the code when empty
    dates_in_own_digits: bool = False  # ४ दिस॰ २०२६ rather than 4 दिस॰ 2026
    regions: tuple[str, ...] = ()  # countries where a stranger texting Saathi likely reads it
    calls: CallStyle = CallStyle()  # speaking rate and how options are read on a call
    needs_review: str | None = None  # who must still check its catalog ("native speaker"), if anyone
    path: Path | None = None

    @property
    def locale(self) -> str:
        return self.babel_locale or self.code

    @property
    def rtl(self) -> bool:
        return self.direction == "rtl"


class Registry(Mapping[str, Language]):
    """Languages by code, with the lookup tables built from them (once per registry)."""

    def __init__(self, languages: dict[str, Language], locales_dir: Path):
        self._languages = dict(sorted(languages.items()))
        self.locales_dir = locales_dir

    def __getitem__(self, code: str) -> Language:
        return self._languages[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._languages)

    def __len__(self) -> int:
        return len(self._languages)

    @cached_property
    def commands(self) -> dict[str, str]:
        """Every command word, casefolded, to its command (``"रोको"`` -> ``"stop"``)."""
        return {fold(word): kind for lang in self.values() for kind in COMMANDS for word in lang.words.get(kind, ())}

    @cached_property
    def language_words(self) -> dict[str, str]:
        """What a learner may type to name a language: its code, its names, its own name."""
        table = {}
        for lang in self.values():
            for word in (lang.code, lang.name, lang.english_name, *lang.words.get("names", ())):
                table.setdefault(fold(word), lang.code)
        return table

    @cached_property
    def answer_words(self) -> frozenset[str]:
        """"option 2", "उत्तर 2": words a learner may put before the number."""
        return frozenset(fold(word) for lang in self.values() for word in lang.words.get("answer", ()))

    @cached_property
    def number_words(self) -> dict[str, int]:
        """Spoken numbers a call may hear ("two", "दो", "to"), to their value."""
        table = {}
        for lang in self.values():
            for value, variants in enumerate(lang.numbers, start=1):
                for word in variants:
                    table.setdefault(fold(word), value)
        return table

    @cached_property
    def digit_values(self) -> dict[str, int]:
        """Digits that Unicode does not already read as decimal digits (Ethiopic ፩ ፪ ...)."""
        table = {}
        for lang in self.values():
            for value, ch in enumerate(lang.digits):
                if unicodedata.category(ch) != "Nd":
                    table.setdefault(ch, value)
        return table

    @cached_property
    def shared_letters(self) -> dict[str, int]:
        """Option letters that mean the same position in every language using them
        (क is 1 in Hindi but 3 in Marathi, so it only counts when the language is known)."""
        seen: dict[str, set[int]] = {}
        for lang in self.values():
            for index, ch in enumerate(fold(lang.option_letters).replace(" ", "")):
                seen.setdefault(ch, set()).add(index)
        return {ch: next(iter(ix)) for ch, ix in seen.items() if len(ix) == 1}

    @cached_property
    def by_region(self) -> dict[str, str]:
        """Country code -> the language to greet an unknown number from there in."""
        return {region: code for code, lang in self.items() for region in lang.regions}

    def names(self) -> dict[str, str]:
        """``{"hi": "हिन्दी", ...}``: each language in its own words, for pickers."""
        return {code: lang.name for code, lang in self.items()}

    def codes_list(self) -> str:
        """``bn (Bengali), en (English), ...``: the codes Saathi speaks, for error messages."""
        return ", ".join(f"{code} ({lang.english_name})" for code, lang in self.items())


def fold(text: str) -> str:
    """A word as ``app.learning.parsing.normalize`` reads a learner's reply."""
    from app.learning.parsing import normalize  # parsing reads this registry: import late

    return normalize(text, {})


def _strings(value, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise LanguageFileError(f"{where} should be a list of words")
    return tuple(value)


def read_language(path: Path) -> Language:
    """One ``language.toml``; ``LanguageFileError`` names the file and what is wrong."""
    code = path.parent.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise LanguageFileError(f"{path}: {exc}") from None

    def need(key: str, kind=str):
        value = data.get(key)
        if not isinstance(value, kind) or (kind is str and not value.strip()):
            raise LanguageFileError(f"{path}: '{key}' is missing or not a {kind.__name__}")
        return value

    direction = data.get("direction", "ltr")
    if direction not in DIRECTIONS:
        raise LanguageFileError(f"{path}: direction must be 'ltr' or 'rtl', not {direction!r}")
    digits = data.get("digits", "0123456789")
    digits = "".join(digits) if isinstance(digits, list) else digits
    if not isinstance(digits, str) or len(digits) != 10:
        raise LanguageFileError(f"{path}: digits must be the ten digits 0 to 9 of the script, in order")
    words_raw = dict(data.get("words", {}))
    numbers = words_raw.pop("numbers", [])
    if not isinstance(numbers, list):
        raise LanguageFileError(f"{path}: words.numbers should list the words for one, two, three ...")
    unknown = set(words_raw) - set(WORD_KINDS)
    if unknown:
        raise LanguageFileError(f"{path}: unknown [words] {', '.join(sorted(unknown))}; "
                                f"known: {', '.join(WORD_KINDS)}")
    words = {kind: _strings(value, f"{path}: words.{kind}") for kind, value in words_raw.items()}
    spoken = tuple(_strings(value, f"{path}: words.numbers[{index}]") for index, value in enumerate(numbers))
    budget = data.get("question_budget", 1)
    if not isinstance(budget, int) or isinstance(budget, bool) or budget < 1:
        raise LanguageFileError(f"{path}: question_budget must be a whole number of SMS, 1 or more")
    return Language(code=code, name=need("name"), english_name=need("english_name"), direction=direction,
                    digits=digits, option_letters=str(data.get("option_letters", "")),
                    gsm7=bool(data.get("gsm7", False)), question_budget=budget,
                    voice=_voice(code, data.get("voice"), path), words=words, numbers=spoken,
                    babel_locale=str(data.get("babel_locale", "")),
                    dates_in_own_digits=bool(data.get("dates_in_own_digits", False)),
                    regions=tuple(str(r).upper() for r in data.get("regions", ())),
                    calls=_calls(data.get("calls", {}), path),
                    needs_review=str(data["needs_review"]).strip() or None if data.get("needs_review") else None,
                    path=path)


def _calls(raw, path: Path) -> CallStyle:
    import re

    if not isinstance(raw, dict):
        raise LanguageFileError(f"{path}: [calls] should be a table (rate, options, option_format)")
    unknown = set(raw) - {"rate", "options", "option_format"}
    if unknown:
        raise LanguageFileError(f"{path}: unknown [calls] {', '.join(sorted(unknown))}; "
                                "known: rate, options, option_format")
    rate = raw.get("rate")
    if rate is not None:
        rate = str(rate).strip()
        percent = re.fullmatch(r"(\d{2,3})%", rate)
        if rate not in RATE_WORDS and not (percent and 20 <= int(percent[1]) <= 200):
            raise LanguageFileError(f"{path}: calls.rate must be {', '.join(RATE_WORDS)} or a percentage "
                                    f"from 20% to 200%, not {rate!r}")
    options = raw.get("options", "press")
    if options not in OPTION_STYLES:
        raise LanguageFileError(f"{path}: calls.options must be one of {', '.join(OPTION_STYLES)}, not {options!r}")
    option_format = raw.get("option_format")
    if option_format is not None:
        try:
            str(option_format).format(number="1", digit="1", letter="a", option="x")
        except (KeyError, IndexError, ValueError):
            raise LanguageFileError(f"{path}: calls.option_format may use {{number}}, {{digit}}, {{letter}} "
                                    f"and {{option}} only, not {option_format!r}") from None
        if "{option}" not in str(option_format):
            raise LanguageFileError(f"{path}: calls.option_format must contain {{option}}")
        option_format = str(option_format)
    return CallStyle(rate=rate, options=options, option_format=option_format)


def _voice(code: str, raw, path: Path) -> Voice | None:
    if raw is None or raw == "none":
        return None
    if not isinstance(raw, dict) or not raw.get("say_language") or not raw.get("voice"):
        raise LanguageFileError(f"{path}: [voice] needs say_language and voice (or write voice = \"none\")")
    speech = raw.get("speech_language")
    return Voice(code, str(raw["say_language"]), str(raw["voice"]),
                 None if speech in (None, "", "none") else str(speech))


def load(locales_dir: Path | str) -> Registry:
    """Every ``<code>/language.toml`` under ``locales_dir``."""
    base = Path(locales_dir)
    languages = {path.parent.name: read_language(path) for path in sorted(base.glob(f"*/{FILENAME}"))}
    if DEFAULT_LANGUAGE not in languages:
        raise LanguageFileError(f"{base}: no {DEFAULT_LANGUAGE}/{FILENAME}; Saathi falls back to it")
    _check_commands(languages)
    return Registry(languages, base)


def _check_commands(languages: dict[str, Language]) -> None:
    """A word must mean one command whatever the learner's language: "ja" cannot be START in
    one file and STOP in another, since a reply is read before its language is known."""
    meaning: dict[str, tuple[str, Language]] = {}
    for lang in languages.values():
        for kind in COMMANDS:
            for word in lang.words.get(kind, ()):
                first = meaning.setdefault(fold(word), (kind, lang))
                if first[0] != kind:
                    raise LanguageFileError(f"{lang.path}: '{word}' is {kind.upper()} here but "
                                            f"{first[0].upper()} in {first[1].path}; a word can mean one command")


_active: Registry | None = None


def use(locales_dir: Path | str) -> Registry:
    """Make the languages under ``locales_dir`` the ones this process speaks."""
    global _active
    base = Path(locales_dir)
    if _active is None or _active.locales_dir != base:
        _active = load(base)
    return _active


def current() -> Registry:
    return _active if _active is not None else use(DEFAULT_LOCALES_DIR)


def get(code: str | None) -> Language:
    """The language ``code``, or the default one for a code Saathi does not speak."""
    registry = current()
    return registry.get(code or DEFAULT_LANGUAGE) or registry[DEFAULT_LANGUAGE]


class _Names(Mapping[str, str]):
    """A live ``{code: own name}`` view of the active registry, for ``code in LANGUAGES``."""

    def __getitem__(self, code: str) -> str:
        return current()[code].name

    def __iter__(self) -> Iterator[str]:
        return iter(current())

    def __len__(self) -> int:
        return len(current())

    def __repr__(self) -> str:
        return repr(dict(self.items()))


LANGUAGES: Mapping[str, str] = _Names()

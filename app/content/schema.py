"""The content pack format as pydantic models: what a pack must say before it may go live.

The rules are the ones a learner's phone needs: every text in every language the pack
declares (a learner must never get a question in a language they cannot read), two to four
options (a keypad answer, a short SMS), an answer that is one of them, slugs that stay
stable across edits (they are how a re-import finds the learner's existing cards).

Validation needs the pack's languages to check a module, so modules are validated with
``context={"languages": [...]}`` (see ``validate_module``). Errors carry pydantic
locations such as ``items.3.options.2``; ``app.content.loader`` turns them into
``file:line: sentence`` for a trainer. Custom error types below name what went wrong
(``missing_translation``, ``answer_out_of_range`` ...) and carry what the sentence needs.
"""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from app.languages import LANGUAGES

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
MIN_OPTIONS, MAX_OPTIONS = 2, 4

def _known_language(code: str) -> str:
    if code not in LANGUAGES:
        raise PydanticCustomError("unknown_language", "unknown language code '{code}'", {"code": code})
    return code


def _text(value: str) -> str:
    # Folded YAML scalars end in a newline a learner would pay for; trim both ends.
    value = value.strip()
    if not value:
        raise PydanticCustomError("empty_text", "empty text")
    return value


def _not_bool(value: Any) -> Any:
    # ``answer: yes`` is a bool to YAML, and pydantic would read ``true`` as 1.
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


def _translated(texts: dict[str, str], info: ValidationInfo) -> dict[str, str]:
    """Every language the pack declares must be there."""
    wanted = (info.context or {}).get("languages") or ()
    missing = [code for code in wanted if code not in texts]
    if missing:
        raise PydanticCustomError("missing_translation", "no text in {languages}",
                                  {"languages": ", ".join(missing), "codes": missing})
    return texts


LanguageCode = Annotated[str, AfterValidator(_known_language)]
Text = Annotated[str, AfterValidator(_text)]
Slug = Annotated[str, Field(pattern=SLUG_PATTERN, max_length=64)]
# One text per language: {"en": "...", "hi": "..."}.
Translations = Annotated[dict[LanguageCode, Text], AfterValidator(_translated)]
AudioPaths = dict[LanguageCode, Text]


class _Strict(BaseModel):
    # A misspelt key ("explaination") must be an error, not a silently missing text.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Feedback(_Strict):
    """The two questions after the quiz: a 1-5 rating, then an optional comment."""

    rating: Translations
    comment: Translations


class Item(_Strict):
    """One multiple-choice question; ``answer`` is the 1-based number of the right option."""

    slug: Slug
    question: Translations
    options: list[Translations] = Field(min_length=MIN_OPTIONS, max_length=MAX_OPTIONS)
    answer: Annotated[int, BeforeValidator(_not_bool)]
    explanation: Translations
    # Recorded audio for voice calls, per language, relative to the pack directory.
    audio: AudioPaths | None = None

    @field_validator("answer")
    @classmethod
    def _answer_is_an_option(cls, answer: int, info: ValidationInfo) -> int:
        options = info.data.get("options")
        if options is not None and not 1 <= answer <= len(options):
            raise PydanticCustomError("answer_out_of_range", "answer {answer} is not among the {count} options",
                                      {"answer": answer, "count": len(options)})
        return answer


class Module(_Strict):
    """One classroom session's follow-up: greeting, questions in order, feedback."""

    slug: Slug
    title: Translations
    greeting: Translations
    items: list[Item] = Field(min_length=1)
    feedback: Feedback

    @field_validator("items")
    @classmethod
    def _unique_item_slugs(cls, items: list[Item]) -> list[Item]:
        for slug, first, index in _repeats([item.slug for item in items]):
            # ``index`` lets the loader point at the second one, the one to rename.
            raise PydanticCustomError("duplicate_item", "item slug '{slug}' is used twice",
                                      {"slug": slug, "index": index, "first": first})
        return items


def _repeats(slugs: list) -> list[tuple[Any, int, int]]:
    """``(slug, first index, repeat index)`` for every repeat in ``slugs``."""
    seen: dict[Any, int] = {}
    repeats = []
    for index, slug in enumerate(slugs):
        if isinstance(slug, str) and slug in seen:
            repeats.append((slug, seen[slug], index))
        elif isinstance(slug, str):
            seen[slug] = index
    return repeats


def duplicate_item_errors(data: Any) -> list[dict]:
    """Repeated item slugs in raw module data, as pydantic-style errors.

    The model's own check runs only once every item is valid, and stops at the first
    repeat; this one lets the loader report every repeat next to the other mistakes.
    """
    items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return []
    slugs = [item.get("slug") if isinstance(item, dict) else None for item in items]
    return [{"type": "duplicate_item", "loc": ("items",), "msg": "", "input": items,
             "ctx": {"slug": slug, "first": first, "index": index}} for slug, first, index in _repeats(slugs)]


class WhatsAppTemplate(_Strict):
    """A WhatsApp template as registered with Meta (through Twilio's console), for the
    messages that may go outside the 24-hour window; ``content_sid`` once it is approved."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,512}$")]
    body: Annotated[Text, Field(max_length=1024)]
    variables: dict[str, str] = {}  # "1": name | module | pack
    content_sid: Annotated[str, Field(pattern=r"^HX[0-9a-f]{32}$")] | None = None


class DltTemplate(_Strict):
    """An SMS template registered on India's DLT platform: its ID and its text, with a
    ``{#var#}`` where Saathi fills something in."""

    template_id: Annotated[str, Field(pattern=r"^[0-9]{10,25}$")]
    text: Text


class Templates(_Strict):
    """Registered templates per message kind and language (``app/channels``, ``app/content/templates``)."""

    whatsapp: dict[str, dict[LanguageCode, WhatsAppTemplate]] = {}
    dlt: dict[str, dict[LanguageCode, DltTemplate]] = {}


class Pack(_Strict):
    """``pack.yaml``: the pack's identity, its languages and the order of its modules."""

    slug: Slug
    title: Translations
    languages: list[LanguageCode] = Field(min_length=1)
    modules: list[Slug] = Field(min_length=1)
    templates: Templates | None = None
    # Languages some modules only are translated into: a module whose title has one must
    # have every text in it; a learner of one gets the other modules in English.
    partial_languages: list[LanguageCode] = Field(default_factory=list)
    # Languages whose texts someone must still check: {"ta": "native speaker"}.
    needs_review: dict[LanguageCode, Text] = Field(default_factory=dict)

    @field_validator("languages", "modules", "partial_languages")
    @classmethod
    def _no_repeats(cls, values: list[str], info: ValidationInfo) -> list[str]:
        seen: set[str] = set()
        for index, value in enumerate(values):
            if value in seen:
                raise PydanticCustomError("duplicate_entry", "'{value}' is listed twice",
                                          {"value": value, "index": index, "field": info.field_name})
            seen.add(value)
        return values


def validate_pack(data: Any) -> Pack:
    """``pack.yaml`` as parsed YAML -> ``Pack``; the title must cover the pack's own languages."""
    languages = data.get("languages") if isinstance(data, dict) else None
    known = [code for code in languages if isinstance(code, str) and code in LANGUAGES] if isinstance(languages, list) else []
    return Pack.model_validate(data, context={"languages": known})


def validate_module(data: Any, *, languages: list[str], partial: list[str] = ()) -> Module:
    """A module file as parsed YAML -> ``Module``, every text in each of ``languages`` and in
    each of the ``partial`` languages its title is in."""
    title = data.get("title") if isinstance(data, dict) else None
    wanted = list(languages) + [code for code in partial if isinstance(title, dict) and code in title
                                and code not in languages]
    return Module.model_validate(data, context={"languages": wanted})


def module_languages(pack: Pack, module: Module) -> list[str]:
    """The languages ``module`` is sent in: the pack's, and the partial ones it carries."""
    return list(pack.languages) + [code for code in pack.partial_languages
                                   if code in module.title and code not in pack.languages]


# The sentences a trainer reads (``explain``, ``phrase``, language names) are in
# ``app.content.wording``; imported last, as that module reads the models above.
from app.content.wording import (
    LanguageName,
    describe,
    explain,
    language_list,
    language_name,
    phrase,
)

__all__ = ["LanguageName", "describe", "explain", "language_list", "language_name", "phrase"]

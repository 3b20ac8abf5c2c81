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

from app import languages
from app.languages import LANGUAGES

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
MIN_OPTIONS, MAX_OPTIONS = 2, 4

def language_name(code: str) -> str:
    """``hi`` -> ``Hindi`` (English names: errors are read by a trainer who may not read
    every script); a code Saathi does not know is returned as given."""
    if code in LANGUAGES:
        return languages.current()[code].english_name
    try:
        from babel import Locale

        return Locale.parse(code).english_name
    except Exception:  # noqa: BLE001 - any unknown code just prints as itself
        return code


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


# --- Errors in a trainer's words --------------------------------------------------------
# A pydantic error is a location (``items.3.options.2``), a type and a context. The trainer
# needs a sentence that names the item by its slug, the language by its name and says
# what to change. ``explain`` returns that sentence and the location whose YAML line to
# show (sometimes refined: a duplicate points at the second occurrence).

_TEXT_FIELDS = {"title", "greeting", "question", "explanation", "rating", "comment"}
_FIELDS = sorted({*Pack.model_fields, *Module.model_fields, *Item.model_fields, *Feedback.model_fields})
_PARTS = {"title": "the title", "greeting": "the greeting", "question": "the question",
          "explanation": "the explanation", "rating": "the rating question",
          "comment": "the comment question", "audio": "the audio", "answer": "the answer",
          "options": "the options", "items": "the items", "slug": "the slug",
          "languages": "languages", "modules": "modules"}


def language_list(codes=None) -> str:
    """``hi (Hindi), nl (Dutch)``: codes with names, for messages."""
    return ", ".join(f"{code} ({language_name(code)})" for code in sorted(codes or LANGUAGES))


def _names(codes) -> str:
    names = [language_name(code) for code in codes]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def describe(loc: tuple, doc: Any) -> tuple[str | None, str | None]:
    """``(subject, part)`` of a location: ``("item 'polite-refusal'", "option 3")``.

    ``subject`` is None for module- or pack-level fields, ``part`` None for a whole item.
    """
    subject, part, node = None, None, doc
    rest = list(loc)
    if len(rest) >= 2 and rest[0] == "items" and isinstance(rest[1], int):
        node = _get(_get(doc, "items"), rest[1])
        slug = _get(node, "slug")
        subject = f"item '{slug}'" if isinstance(slug, str) and slug else f"item {rest[1] + 1}"
        rest = rest[2:]
    if rest and rest[0] == "feedback":
        rest = rest[1:] or ["feedback"]
        if rest == ["feedback"]:
            part = "the feedback"
    if rest and part is None:
        head = rest[0]
        if head == "options" and len(rest) > 1 and isinstance(rest[1], int):
            part = f"option {rest[1] + 1}"
        elif head in ("languages", "modules") and len(rest) > 1 and isinstance(rest[1], int):
            part = f"{_PARTS[head]} (entry {rest[1] + 1})"
        else:
            part = _PARTS.get(head, f"'{head}'")
    return subject, part


def phrase(loc: tuple, doc: Any) -> str:
    """One noun phrase for a location: ``option 3 of item 'polite-refusal'``."""
    subject, part = describe(loc, doc)
    if subject and part:
        return f"{part} of {subject}"
    return subject or part or "this file"


def _get(node: Any, key: Any) -> Any:
    if isinstance(node, dict):
        return node.get(key)
    if isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
        return node[key]
    return None


def _slug_suggestion(value: Any) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "-", str(value).lower()).strip("-") or "my-item"


def explain(error: dict, doc: Any) -> tuple[tuple, str]:
    """``(location for the line number, sentence)`` for one pydantic error on ``doc``."""
    loc, kind, ctx, value = tuple(error["loc"]), error["type"], error.get("ctx") or {}, error.get("input")
    if loc and loc[-1] == "[key]":
        loc = loc[:-1]
    if kind == "missing_translation":
        subject, part = describe(loc, doc)
        codes = ctx["codes"]
        add = " and ".join(f"'{code}: ...'" for code in codes)
        where = f"{subject} has no {_names(codes)} text for {part}" if subject else \
            f"{part} has no {_names(codes)} text"
        return loc, f"{where}; add {add}"
    if kind == "unknown_language":
        code = ctx["code"]
        where = phrase(loc[:-1], doc)
        return loc, (f"unknown language code '{code}' in {where}; Saathi speaks {language_list()}")
    if kind == "answer_out_of_range":
        return loc, (f"{phrase(loc[:-1], doc)} has answer: {ctx['answer']}, but only {ctx['count']} options; "
                     f"the answer is the number of the right option (1 to {ctx['count']})")
    if kind == "duplicate_item":
        return loc + (ctx["index"], "slug"), (
            f"item slug '{ctx['slug']}' is used twice (items {ctx['first'] + 1} and {ctx['index'] + 1}); "
            "give each item its own slug")
    if kind == "duplicate_entry":
        what = "module" if ctx["field"] == "modules" else "language"
        return loc + (ctx["index"],), f"{what} '{ctx['value']}' is listed twice in {ctx['field']}; list it once"
    if kind in ("empty_text",) or (kind == "string_type" and value is None):
        if loc and loc[-1] in LANGUAGES:
            return loc, f"the {language_name(loc[-1])} text for {phrase(loc[:-1], doc)} is empty"
        return loc, f"{phrase(loc, doc)} is empty"
    if kind == "string_type":
        what = f"the {language_name(loc[-1])} text for {phrase(loc[:-1], doc)}" if loc and loc[-1] in LANGUAGES \
            else phrase(loc, doc)
        return loc, f"{what} should be text, but YAML read {value!r}; put it in double quotes"
    if kind == "missing":
        field = loc[-1]
        owner = phrase(loc[:-1], doc) if loc[:-1] else "this file"
        hint = {"answer": "; add 'answer: N', the number of the right option",
                "slug": "; add a short id such as 'slug: polite-refusal'"}.get(field, "")
        return loc, f"{owner} has no '{field}:'{hint}"
    if kind == "extra_forbidden":
        import difflib

        close = difflib.get_close_matches(str(loc[-1]), _FIELDS, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        owner = phrase(loc[:-1], doc) if loc[:-1] else "this file"
        return loc, f"unknown key '{loc[-1]}' in {owner}{hint}"
    if kind in ("too_short", "too_long"):
        count = ctx.get("actual_length")
        if loc and loc[-1] == "options":
            return loc, (f"{phrase(loc[:-1], doc)} has {count} option{'s' if count != 1 else ''}; "
                         f"a question needs {MIN_OPTIONS} to {MAX_OPTIONS}")
        return loc, f"{phrase(loc, doc)} is empty; add at least one"
    if kind == "string_pattern_mismatch":
        return loc, (f"'{value}' is not a valid slug: use only lowercase letters, digits and '-', "
                     f"e.g. '{_slug_suggestion(value)}'")
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return loc, f"{phrase(loc, doc)} should be a whole number, like 2"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        if not loc:
            return loc, "the file should be a YAML mapping that starts with 'slug:'"
        if loc[-1] in _TEXT_FIELDS or (len(loc) > 1 and loc[-2] == "options"):
            return loc, f"{phrase(loc, doc)} should be one 'code: text' line per language, e.g. 'en: ...'"
        return loc, f"{phrase(loc, doc)} should be a mapping of keys and values"
    if kind == "list_type":
        return loc, f"{phrase(loc, doc)} should be a list"
    return loc, f"{phrase(loc, doc)}: {error['msg']}"

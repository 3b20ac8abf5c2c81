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
from app.i18n import N_, Joined, Said
from app.languages import LANGUAGES

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
MIN_OPTIONS, MAX_OPTIONS = 2, 4

class LanguageName(str):
    """A language's English name (``Hindi``) that a trainer reading another language gets
    in theirs (``हिन्दी`` -> ``तमिल`` for Tamil in a Hindi message), from CLDR."""

    code: str

    def __new__(cls, code: str, english: str):
        self = super().__new__(cls, english)
        self.code = code
        return self

    def said(self, lang: str) -> str:
        if lang == "en":
            return str(self)
        reader = languages.current().get(lang)
        try:
            from babel import Locale

            locale = Locale.parse(reader.locale) if reader else None
        except Exception:  # noqa: BLE001 - a reader Babel does not know gets the name in itself
            locale = None
        # A pseudo- or new locale whose CLDR data is another language's says names in themselves.
        if locale is not None and locale.language == lang:
            name = locale.languages.get(self.code)
            if name:
                return name
        own = languages.current().get(self.code)
        return own.name if own else str(self)

    def __reduce__(self):
        return (LanguageName, (self.code, str(self)))


def language_name(code: str) -> LanguageName:
    """``hi`` -> ``Hindi`` (English when printed; in the reader's language when ``said``);
    a code Saathi does not know is named by CLDR, or returned as given."""
    if code in LANGUAGES:
        return LanguageName(code, languages.current()[code].english_name)
    try:
        from babel import Locale

        return LanguageName(code, Locale.parse(code).english_name)
    except Exception:  # noqa: BLE001 - any unknown code just prints as itself
        return LanguageName(code, code)


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
_PARTS = {"title": N_("the title"), "greeting": N_("the greeting"), "question": N_("the question"),
          "explanation": N_("the explanation"), "rating": N_("the rating question"),
          "comment": N_("the comment question"), "audio": N_("the audio"), "answer": N_("the answer"),
          "options": N_("the options"), "items": N_("the items"), "slug": N_("the slug"),
          "languages": N_("languages"), "modules": N_("modules")}


def language_list(codes=None) -> Joined:
    """``hi (Hindi), nl (Dutch)``: codes with names, for messages."""
    return Joined(Said(N_("{code} ({name})"), code=code, name=language_name(code))
                  for code in sorted(codes or LANGUAGES))


def _names(codes) -> str:
    names = [language_name(code) for code in codes]
    if len(names) == 1:
        return names[0]
    return Said(N_("{names} or {last}"), names=Joined(names[:-1]), last=names[-1])


def describe(loc: tuple, doc: Any) -> tuple[Said | None, Said | None]:
    """``(subject, part)`` of a location: ``("item 'polite-refusal'", "option 3")``.

    ``subject`` is None for module- or pack-level fields, ``part`` None for a whole item.
    """
    subject, part, node = None, None, doc
    rest = list(loc)
    if len(rest) >= 2 and rest[0] == "items" and isinstance(rest[1], int):
        node = _get(_get(doc, "items"), rest[1])
        slug = _get(node, "slug")
        subject = Said(N_("item '{slug}'"), slug=slug) if isinstance(slug, str) and slug else \
            Said(N_("item {number}"), number=rest[1] + 1)
        rest = rest[2:]
    if rest and rest[0] == "feedback":
        rest = rest[1:] or ["feedback"]
        if rest == ["feedback"]:
            part = Said(N_("the feedback"))
    if rest and part is None:
        head = rest[0]
        if head == "options" and len(rest) > 1 and isinstance(rest[1], int):
            part = Said(N_("option {number}"), number=rest[1] + 1)
        elif head in ("languages", "modules") and len(rest) > 1 and isinstance(rest[1], int):
            part = Said(N_("{field} (entry {number})"), field=Said(_PARTS[head]), number=rest[1] + 1)
        else:
            part = Said(_PARTS[head]) if head in _PARTS else Said(N_("'{key}'"), key=head)
    return subject, part


def phrase(loc: tuple, doc: Any) -> Said:
    """One noun phrase for a location: ``option 3 of item 'polite-refusal'``."""
    subject, part = describe(loc, doc)
    if subject and part:
        return Said(N_("{part} of {subject}"), part=part, subject=subject)
    return subject or part or Said(N_("this file"))


def _get(node: Any, key: Any) -> Any:
    if isinstance(node, dict):
        return node.get(key)
    if isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
        return node[key]
    return None


def _slug_suggestion(value: Any) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "-", str(value).lower()).strip("-") or "my-item"


def explain(error: dict, doc: Any) -> tuple[tuple, Said]:
    """``(location for the line number, sentence)`` for one pydantic error on ``doc``.

    The sentence is a ``Said``: English when printed, the trainer's language when said."""
    loc, kind, ctx, value = tuple(error["loc"]), error["type"], error.get("ctx") or {}, error.get("input")
    if loc and loc[-1] == "[key]":
        loc = loc[:-1]
    if kind == "missing_translation":
        subject, part = describe(loc, doc)
        codes = ctx["codes"]
        adds = [f"'{code}: ...'" for code in codes]
        add = adds[0] if len(adds) == 1 else Said(N_("{items} and {last}"), items=Joined(adds[:-1]), last=adds[-1])
        if subject:
            return loc, Said(N_("{subject} has no {languages} text for {part}; add {add}"), subject=subject,
                             languages=_names(codes), part=part, add=add)
        return loc, Said(N_("{part} has no {languages} text; add {add}"), part=part, languages=_names(codes),
                         add=add)
    if kind == "unknown_language":
        return loc, Said(N_("unknown language code '{code}' in {where}; Saathi speaks {codes}"),
                         code=ctx["code"], where=phrase(loc[:-1], doc), codes=language_list())
    if kind == "answer_out_of_range":
        return loc, Said(N_("{where} has answer: {answer}, but only {count} options; the answer is the number "
                            "of the right option (1 to {count})"),
                         where=phrase(loc[:-1], doc), answer=ctx["answer"], count=ctx["count"])
    if kind == "duplicate_item":
        return loc + (ctx["index"], "slug"), Said(
            N_("item slug '{slug}' is used twice (items {first} and {second}); give each item its own slug"),
            slug=ctx["slug"], first=ctx["first"] + 1, second=ctx["index"] + 1)
    if kind == "duplicate_entry":
        message = N_("module '{value}' is listed twice in {field}; list it once") if ctx["field"] == "modules" \
            else N_("language '{value}' is listed twice in {field}; list it once")
        return loc + (ctx["index"],), Said(message, value=ctx["value"], field=ctx["field"])
    if kind in ("empty_text",) or (kind == "string_type" and value is None):
        if loc and loc[-1] in LANGUAGES:
            return loc, Said(N_("the {language} text for {where} is empty"), language=language_name(loc[-1]),
                             where=phrase(loc[:-1], doc))
        return loc, Said(N_("{where} is empty"), where=phrase(loc, doc))
    if kind == "string_type":
        what = Said(N_("the {language} text for {where}"), language=language_name(loc[-1]),
                    where=phrase(loc[:-1], doc)) if loc and loc[-1] in LANGUAGES else phrase(loc, doc)
        return loc, Said(N_("{what} should be text, but YAML read {value}; put it in double quotes"),
                         what=what, value=repr(value))
    if kind == "missing":
        field = loc[-1]
        owner = phrase(loc[:-1], doc) if loc[:-1] else Said(N_("this file"))
        if field == "answer":
            return loc, Said(N_("{owner} has no '{field}:'; add 'answer: N', the number of the right option"),
                             owner=owner, field=field)
        if field == "slug":
            return loc, Said(N_("{owner} has no '{field}:'; add a short id such as 'slug: polite-refusal'"),
                             owner=owner, field=field)
        return loc, Said(N_("{owner} has no '{field}:'"), owner=owner, field=field)
    if kind == "extra_forbidden":
        import difflib

        close = difflib.get_close_matches(str(loc[-1]), _FIELDS, n=1)
        owner = phrase(loc[:-1], doc) if loc[:-1] else Said(N_("this file"))
        if close:
            return loc, Said(N_("unknown key '{key}' in {owner}; did you mean '{close}'?"), key=loc[-1],
                             owner=owner, close=close[0])
        return loc, Said(N_("unknown key '{key}' in {owner}"), key=loc[-1], owner=owner)
    if kind in ("too_short", "too_long"):
        count = ctx.get("actual_length")
        if loc and loc[-1] == "options":
            message = N_("{where} has {count} option; a question needs {least} to {most}") if count == 1 \
                else N_("{where} has {count} options; a question needs {least} to {most}")
            return loc, Said(message, where=phrase(loc[:-1], doc), count=count, least=MIN_OPTIONS,
                             most=MAX_OPTIONS)
        return loc, Said(N_("{where} is empty; add at least one"), where=phrase(loc, doc))
    if kind == "string_pattern_mismatch":
        return loc, Said(N_("'{value}' is not a valid slug: use only lowercase letters, digits and '-', "
                            "e.g. '{example}'"), value=value, example=_slug_suggestion(value))
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return loc, Said(N_("{where} should be a whole number, like 2"), where=phrase(loc, doc))
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        if not loc:
            return loc, Said(N_("the file should be a YAML mapping that starts with 'slug:'"))
        if loc[-1] in _TEXT_FIELDS or (len(loc) > 1 and loc[-2] == "options"):
            return loc, Said(N_("{where} should be one 'code: text' line per language, e.g. 'en: ...'"),
                             where=phrase(loc, doc))
        return loc, Said(N_("{where} should be a mapping of keys and values"), where=phrase(loc, doc))
    if kind == "list_type":
        return loc, Said(N_("{where} should be a list"), where=phrase(loc, doc))
    return loc, Said(N_("{where}: {detail}"), where=phrase(loc, doc), detail=error["msg"])

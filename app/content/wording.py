"""Pack errors in a trainer's words, in the trainer's language.

A pydantic error is a location (``items.3.options.2``), a type and a context. The trainer
needs a sentence that names the item by its slug, the language by its name and says what to
change; ``explain`` returns that sentence and the location whose YAML line to show
(sometimes refined: a duplicate points at the second occurrence). Every sentence is a
``Said`` (``app.i18n``): a catalog id with parameters, English when printed, the reader's
language when said, so the same error reads in Tamil on a Tamil trainer's page.
"""
from __future__ import annotations

from typing import Any

from app import languages
from app.content.schema import MAX_OPTIONS, MIN_OPTIONS, Feedback, Item, Module, Pack
from app.i18n import N_, Joined, Said
from app.languages import LANGUAGES


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

"""A pack's registered templates, checked against what Saathi will actually send.

Two registries decide whether a message arrives at all, and neither forgives a mismatch:
Meta approves WhatsApp templates (a template whose body starts or ends with a variable,
or has two side by side, is refused; an unknown variable goes out empty), and India's DLT
platform drops every commercial SMS that does not match a registered template (same
fixed text, each ``{#var#}`` at most 30 characters). So the validator renders every
message an Indian learner can receive and matches it here, naming file and line; and
``export`` lists what must be registered, in the form each console asks for.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

from app.channels import dlt
from app.channels.whatsapp_content import (
    KIND_VARIABLES,
    SAMPLE_VALUES,
    TEMPLATE_KINDS,
    VARIABLE_MAX,
    VARIABLES,
)
from app.content import dlt_catalog, schema
from app.content.loader import LoadedModule, LoadedPack, line_of
from app.content.render import render_question
from app.content.sources import Problem
from app.content.text_kinds import TEXT_KINDS
from app.i18n import N_, Said, say

SLOT = re.compile(r"\{\{\s*(\w+)\s*\}\}")
SAMPLE_NAME = "Lakshminarayanan"  # a long first name, to see that a template still fits
# The SMS an Indian learner can receive, by DLT message kind: the pack's texts (``TEXT_KINDS``),
# then the catalog's and two joined in one SMS (``dlt_catalog``).
DLT_KINDS = (*TEXT_KINDS, *dlt_catalog.KINDS)


def check(pack: LoadedPack) -> list[Problem]:
    """Every template problem of ``pack``, each at its line in ``pack.yaml``."""
    templates = pack.pack.templates
    if templates is None:
        return []
    problems = []
    for kind, by_language in templates.whatsapp.items():
        for code, template in by_language.items():
            loc = ("templates", "whatsapp", kind, code)
            problems += [Problem(pack.file, line_of(pack.doc, loc), Said(
                N_("WhatsApp template '{name}' ({kind}, {language}): {problem}"), name=template.name, kind=kind,
                language=schema.language_name(code), problem=message))
                         for message in whatsapp_problems(pack, kind, code, template)]
    for kind, by_language in templates.dlt.items():
        for code in by_language:
            if kind not in DLT_KINDS:
                problems.append(Problem(pack.file, line_of(pack.doc, ("templates", "dlt", kind, code)),
                                        Said(N_("unknown DLT message kind '{kind}'; use one of {kinds}"), kind=kind,
                                             kinds=", ".join(DLT_KINDS))))
    return problems + dlt_problems(pack)


def dlt_problems(pack: LoadedPack) -> list[Problem]:
    """Every SMS of the pack, in each language it has DLT templates for, against its template."""
    registered = pack.pack.templates.dlt if pack.pack.templates else {}
    languages = sorted({code for by_language in registered.values() for code in by_language})
    problems, missing = [], set()
    for code in languages:
        texts = [(kind, loaded.file, line_of(loaded.doc, loc), text)
                 for kind, loc, loaded, text in (*dlt_messages(pack, code), *joined_messages(pack, code))]
        texts += [(kind, dlt_catalog.catalog_file(code),
                   dlt_catalog.catalog_line(code, entry.msgid) if entry else None, text)
                  for kind, entry, text in dlt_catalog.catalog_messages(code)]
        for kind, file, line, text in texts:
            template = registered.get(kind, {}).get(code)
            if template is None:
                if (kind, code) not in missing:  # once per kind and language, where it first shows
                    missing.add((kind, code))
                    problems.append(Problem(file, line, Said(
                        N_("no DLT template for {kind} messages in {language}: an SMS to an Indian "
                           "number would be dropped; add one under templates: dlt"),
                        kind=kind, language=schema.language_name(code))))
                continue
            reason = dlt.mismatch(template.text, text)
            if reason:
                problems.append(Problem(file, line, Said(
                    N_("the {language} {kind} does not match DLT template {template}: {reason}"),
                    language=schema.language_name(code), kind=kind, template=template.template_id, reason=reason)))
    return problems


def joined_messages(pack: LoadedPack, code: str) -> Iterator[tuple[str, tuple, LoadedModule, str]]:
    """Two texts in one SMS, as the engine joins them: a verdict and the next prompt of the
    session's quiz (when that costs no extra segment), a reminder or a re-ask and the
    prompt; each at the line of the prompt it carries."""
    for loaded in pack.modules:
        module = loaded.module
        items = module.items
        rating = module.feedback.rating[code]
        for number, item in enumerate(items, start=1):
            loc = ("items", number - 1, "question", code)
            options = [o[code] for o in item.options]
            numbered = render_question(item.question[code], options, number, len(items))
            review = render_question(item.question[code], options)
            for body in (numbered, review):
                yield "reminder+question", loc, loaded, dlt_catalog.prefix("reminder", code) + " " + body
                yield "reask+question", loc, loaded, dlt_catalog.prefix("reask", code, len(options)) + "\n" + body
            if number < len(items):
                nxt = items[number]
                following, second = render_question(nxt.question[code], [o[code] for o in nxt.options], number + 1,
                                                     len(items)), "question"
                where = ("items", number, "question", code)
            else:
                following, second, where = rating, "rating", ("feedback", "rating", code)
            for first, verdict in (("correct", say(code, "Correct!")), ("explanation", _explanation(item, code))):
                together = dlt_catalog.joined(verdict, following)
                if together is not None:
                    yield f"{first}+{second}", where, loaded, together
        comment = module.feedback.comment[code]
        together = dlt_catalog.joined(say(code, "Thank you for your rating!"), comment)
        if together is not None:
            yield "thanks_rating+comment", ("feedback", "comment", code), loaded, together
        for kind, text, loc in (("rating", rating, "rating"), ("comment", comment, "comment")):
            yield f"reminder+{kind}", ("feedback", loc, code), loaded, dlt_catalog.prefix("reminder", code) + " " + text


def _explanation(item, code: str) -> str:
    return say(code, "The answer is {number}: {explanation}", number=item.answer, explanation=item.explanation[code])


def whatsapp_problems(pack: LoadedPack, kind: str, code: str, template: schema.WhatsAppTemplate) -> list[Said]:
    problems = []
    if kind not in TEMPLATE_KINDS:
        problems.append(Said(N_("unknown message kind '{kind}'; use one of {kinds}"), kind=kind,
                             kinds=", ".join(TEMPLATE_KINDS)))
    slots = SLOT.findall(template.body)
    for slot in slots:
        if slot not in template.variables:
            problems.append(Said(N_("{slot} in the body has no entry under variables"), slot=f"{{{{{slot}}}}}"))
    for slot, name in template.variables.items():
        if slot not in slots:
            problems.append(Said(N_("variable {slot} is not in the body"), slot=slot))
        allowed = KIND_VARIABLES.get(kind, VARIABLES)
        if name not in allowed:
            problems.append(Said(N_("variable {slot} is '{name}'; in a {kind} message Saathi fills in {names}"),
                                 slot=slot, name=name, kind=kind, names=", ".join(allowed)))
    body = template.body.strip()
    if SLOT.match(body) or re.search(r"\{\{\s*\w+\s*\}\}[.!?]?$", body):
        problems.append(Said(N_("the body starts or ends with a variable, which WhatsApp refuses to approve")))
    if re.search(r"\}\}\s*\{\{", body):
        problems.append(Said(N_("two variables side by side, which WhatsApp refuses to approve")))
    for module in pack.modules:
        title = module.module.title.get(code, "")
        values = {**SAMPLE_VALUES, "name": SAMPLE_NAME, "module": title, "pack": pack.pack.title.get(code, ""),
                  "milestone": "Bank account opened and used"}  # the longest built-in title
        too_long = [name for name in dict.fromkeys(template.variables.values())
                    if len(values.get(name, "")) > VARIABLE_MAX]
        if too_long:
            problems.append(Said(N_("module '{slug}': {names} is longer than the {most} characters a variable "
                                    "may carry"), slug=module.module.slug, names=", ".join(too_long),
                                 most=VARIABLE_MAX))
        names = template.variables
        filled = SLOT.sub(lambda m, values=values, names=names: values.get(names.get(m[1], ""), ""), template.body)
        if len(filled) > 1024:
            problems.append(Said(N_("module '{slug}': the filled-in body is {count} characters, over WhatsApp's "
                                    "1024"), slug=module.module.slug, count=len(filled)))
    return problems


def dlt_messages(pack: LoadedPack, code: str) -> Iterator[tuple[str, tuple, LoadedModule, str]]:
    """``(kind, location, module, text)`` of every SMS an Indian learner can get from ``pack``,
    rendered as the engine renders it (a question numbered in its session, and as a review)."""
    for loaded in pack.modules:
        module = loaded.module
        items = module.items
        first = items[0]
        # A session's greeting never goes alone: the first question travels with it.
        yield "greeting", ("greeting", code), loaded, module.greeting[code] + "\n\n" + render_question(
            first.question[code], [o[code] for o in first.options], 1, len(items))
        for number, item in enumerate(items, start=1):
            loc = ("items", number - 1, "question", code)
            options = [o[code] for o in item.options]
            yield "question", loc, loaded, render_question(item.question[code], options, number, len(items))
            yield "question", loc, loaded, render_question(item.question[code], options)
            yield "explanation", ("items", number - 1, "explanation", code), loaded, _explanation(item, code)
        yield "rating", ("feedback", "rating", code), loaded, module.feedback.rating[code]
        yield "comment", ("feedback", "comment", code), loaded, module.feedback.comment[code]


def to_register(pack: LoadedPack) -> list[tuple[str, str, str | None]]:
    """``(kind, language, suggested text)`` of each DLT template the pack's Indian learners
    need and the pack does not carry yet, in every language it has DLT templates in; the
    text has a ``{#var#}`` where a value changes (None: register the pack's own first)."""
    registered = pack.pack.templates.dlt if pack.pack.templates else {}
    languages = sorted({code for by_language in registered.values() for code in by_language})
    out = []
    for code in languages:
        needed = dict.fromkeys(kind for kind, *_ in (*dlt_messages(pack, code), *joined_messages(pack, code)))
        needed.update(dict.fromkeys(kind for kind, *_ in dlt_catalog.catalog_messages(code)))
        out += [(kind, code, dlt_catalog.suggested(kind, code, registered)) for kind in needed
                if code not in registered.get(kind, {})]
    return out

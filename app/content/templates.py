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
from app.content import schema
from app.content.loader import LoadedModule, LoadedPack, line_of
from app.content.render import render_question
from app.content.sources import Problem
from app.i18n import say

SLOT = re.compile(r"\{\{\s*(\w+)\s*\}\}")
SAMPLE_NAME = "Lakshminarayanan"  # a long first name, to see that a template still fits
# The SMS an Indian learner can receive, by DLT message kind.
DLT_KINDS = ("greeting", "question", "explanation", "rating", "comment")


def check(pack: LoadedPack) -> list[Problem]:
    """Every template problem of ``pack``, each at its line in ``pack.yaml``."""
    templates = pack.pack.templates
    if templates is None:
        return []
    problems = []
    for kind, by_language in templates.whatsapp.items():
        for code, template in by_language.items():
            loc = ("templates", "whatsapp", kind, code)
            problems += [Problem(pack.file, line_of(pack.doc, loc), f"WhatsApp template '{template.name}' "
                                 f"({kind}, {schema.language_name(code)}): {message}")
                         for message in whatsapp_problems(pack, kind, code, template)]
    for kind, by_language in templates.dlt.items():
        for code in by_language:
            if kind not in DLT_KINDS:
                problems.append(Problem(pack.file, line_of(pack.doc, ("templates", "dlt", kind, code)),
                                        f"unknown DLT message kind '{kind}'; use one of {', '.join(DLT_KINDS)}"))
    return problems + dlt_problems(pack)


def dlt_problems(pack: LoadedPack) -> list[Problem]:
    """Every SMS of the pack, in each language it has DLT templates for, against its template."""
    registered = pack.pack.templates.dlt if pack.pack.templates else {}
    languages = sorted({code for by_language in registered.values() for code in by_language})
    problems = []
    for code in languages:
        for kind, loc, loaded, text in dlt_messages(pack, code):
            template = registered.get(kind, {}).get(code)
            if template is None:
                problems.append(Problem(loaded.file, line_of(loaded.doc, loc),
                                        f"no DLT template for {kind} messages in {schema.language_name(code)}: "
                                        "an SMS to an Indian number would be dropped; add one under templates: dlt"))
                continue
            reason = dlt.mismatch(template.text, text)
            if reason:
                problems.append(Problem(loaded.file, line_of(loaded.doc, loc),
                                        f"the {schema.language_name(code)} {kind} does not match DLT template "
                                        f"{template.template_id}: {reason}"))
    return problems


def whatsapp_problems(pack: LoadedPack, kind: str, code: str, template: schema.WhatsAppTemplate) -> list[str]:
    problems = []
    if kind not in TEMPLATE_KINDS:
        problems.append(f"unknown message kind '{kind}'; use one of {', '.join(TEMPLATE_KINDS)}")
    slots = SLOT.findall(template.body)
    for slot in slots:
        if slot not in template.variables:
            problems.append(f"{{{{{slot}}}}} in the body has no entry under variables")
    for slot, name in template.variables.items():
        if slot not in slots:
            problems.append(f"variable {slot} is not in the body")
        allowed = KIND_VARIABLES.get(kind, VARIABLES)
        if name not in allowed:
            problems.append(f"variable {slot} is '{name}'; in a {kind} message Saathi fills in {', '.join(allowed)}")
    body = template.body.strip()
    if SLOT.match(body) or re.search(r"\{\{\s*\w+\s*\}\}[.!?]?$", body):
        problems.append("the body starts or ends with a variable, which WhatsApp refuses to approve")
    if re.search(r"\}\}\s*\{\{", body):
        problems.append("two variables side by side, which WhatsApp refuses to approve")
    for module in pack.modules:
        title = module.module.title.get(code, "")
        values = {**SAMPLE_VALUES, "name": SAMPLE_NAME, "module": title, "pack": pack.pack.title.get(code, ""),
                  "milestone": "Bank account opened and used"}  # the longest built-in title
        too_long = [name for name in dict.fromkeys(template.variables.values())
                    if len(values.get(name, "")) > VARIABLE_MAX]
        if too_long:
            problems.append(f"module '{module.module.slug}': {', '.join(too_long)} is longer than the "
                            f"{VARIABLE_MAX} characters a variable may carry")
        filled = SLOT.sub(lambda m: values.get(template.variables.get(m[1], ""), ""), template.body)
        if len(filled) > 1024:
            problems.append(f"module '{module.module.slug}': the filled-in body is {len(filled)} characters, "
                            "over WhatsApp's 1024")
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
            yield "explanation", ("items", number - 1, "explanation", code), loaded, say(
                code, "The answer is {number}: {explanation}", number=item.answer, explanation=item.explanation[code])
        yield "rating", ("feedback", "rating", code), loaded, module.feedback.rating[code]
        yield "comment", ("feedback", "comment", code), loaded, module.feedback.comment[code]

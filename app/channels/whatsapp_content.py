"""What a WhatsApp message is made of: free text, buttons, or an approved template.

WhatsApp allows anything for 24 hours after the learner's last message (the customer
service window); outside it only a template Meta approved. Buttons go through Twilio's
Content API: a content item (``HX…``) made once per shape (quick reply with two or three
buttons, a list picker with four to ten rows) whose texts are variables, filled per
message (``ContentVariables``). Templates for outside the window are the pack's, per
message kind and language (``pack.templates["whatsapp"]``), with named variables Saathi
fills in (``VARIABLES``, per kind). An outcome check-in and a milestone question may have
their own (``checkin``, ``milestone``: "are you working now?" reads better than "a question
on UPI safety is waiting"); a pack that names none opens them with its ``opener``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from app.i18n import say
from app.learning.prompt_kinds import is_question
from app.learning.texts import text_in
from app.models import Item, Learner, Module, Pack

QUICK_REPLY_MAX = 3           # in-session quick-reply buttons WhatsApp takes without approval
LIST_MAX = 10                 # rows of a list picker
BUTTON_TITLE_MAX = 20         # WhatsApp's limit on a quick-reply button's title
LIST_TITLE_MAX = 24           # and on a list row's
VARIABLE_MAX = 255            # a Content API variable's value
# A session's first message; a review waiting; an outcome check-in; a milestone question.
TEMPLATE_KINDS = ("post_session", "opener", "checkin", "milestone")
FALLBACK = {"checkin": "opener", "milestone": "opener"}  # the kind that opens it when it has none
# What a template's variables may name, per kind, and what Saathi puts in them: a check-in
# is about no module (its months since graduating instead), a milestone names itself.
KIND_VARIABLES = {"post_session": ("name", "module", "pack"), "opener": ("name", "module", "pack"),
                  "checkin": ("name", "pack", "months"), "milestone": ("name", "pack", "milestone")}
VARIABLES = ("name", "module", "pack", "months", "milestone")
SAMPLE_VALUES = {"name": "Asha", "module": "UPI safety", "pack": "Digital banking", "months": "6",
                 "milestone": "CV written"}  # for approval


def shape_for(count: int) -> str | None:
    """The session content a question of ``count`` options goes as; None: plain text."""
    if 2 <= count <= QUICK_REPLY_MAX:
        return f"quick-reply-{count}"
    if QUICK_REPLY_MAX < count <= LIST_MAX:
        return f"list-{count}"
    return None


def payload(prompt_id: int, number: int) -> str:
    """A button's id, sent back as ``ButtonPayload``: which prompt it answered, and how."""
    return f"p{prompt_id}.{number}"


def read_payload(value: str | None) -> tuple[int, int] | None:
    """``(prompt id, option number)`` of a payload Saathi made; None for anything else."""
    if not value or not value.startswith("p") or "." not in value:
        return None
    prompt, _, number = value[1:].partition(".")
    if not (prompt.isdecimal() and number.isdecimal()) or len(prompt) > 12 or len(number) > 2:
        return None
    return int(prompt), int(number)


def button_variables(body: str, prompt_id: int, titles: list[str]) -> dict[str, str]:
    """``{"1": body, "2": title 1, "3": id 1, ...}``: how the session content is filled."""
    limit = BUTTON_TITLE_MAX if len(titles) <= QUICK_REPLY_MAX else LIST_TITLE_MAX
    variables = {"1": body}
    for n, title in enumerate(titles, start=1):
        title = f"{n}. {title}"
        variables[str(2 * n)] = title if len(title) <= limit else title[:limit - 1].rstrip() + "…"
        variables[str(2 * n + 1)] = payload(prompt_id, n)
    return variables


def choices(prompt_kind: str, item: Item | None, language: str) -> list[str]:
    """What a prompt can be answered with by tapping: an item's options, a rating 1-5, the
    four answers of a check-in, yes / not yet for a milestone (as ``prompt_kinds`` says)."""
    # Imported at use: the journeys render through learning.texts, which imports this chain.
    from app.journeys import checkins, milestones

    if is_question(prompt_kind) and item is not None:
        return [text_in(option, language) for option in item.options]
    if prompt_kind == checkins.KIND:
        return checkins.button_titles(language)
    if prompt_kind == milestones.KIND:
        return milestones.button_titles(language)
    if prompt_kind == "rating":
        return [str(n) for n in range(1, 6)]
    return []


@dataclass(frozen=True)
class Template:
    """One approved WhatsApp template of a pack, for one message kind and language."""

    kind: str
    language: str
    name: str
    body: str                    # as registered, with {{1}} ... slots
    variables: dict[str, str]    # slot -> one of VARIABLES
    content_sid: str | None = None   # set once Twilio/Meta approved it

    def fill(self, learner: Learner, module: Module | None, pack: Pack | None,
             extra: dict[str, str] | None = None) -> dict[str, str]:
        """The slots' values; ``extra``: a check-in's ``months``, a milestone's title."""
        values = {"name": (learner.name or "").split()[0] if learner.name else "",
                  "module": text_in(module.title, self.language) if module else "",
                  "pack": text_in(pack.title, self.language) if pack else "", **(extra or {})}
        return {slot: values.get(name, "")[:VARIABLE_MAX] for slot, name in self.variables.items()}

    def render(self, variables: dict[str, str]) -> str:
        text = self.body
        for slot, value in variables.items():
            text = text.replace("{{" + slot + "}}", value)
        return text


def pack_templates(pack: Pack | None) -> dict:
    return ((pack.templates or {}).get("whatsapp") or {}) if pack is not None else {}


def template_for(pack: Pack | None, kind: str, language: str) -> Template | None:
    """The pack's template of ``kind`` in ``language`` (else English); None if it has none."""
    by_language = pack_templates(pack).get(kind) or {}
    for lang in (language, "en"):
        spec = by_language.get(lang)
        if spec:
            return Template(kind=kind, language=lang, name=spec.get("name", ""), body=spec.get("body", ""),
                            variables={str(k): v for k, v in (spec.get("variables") or {}).items()},
                            content_sid=spec.get("content_sid"))
    return None


def approved_template(pack: Pack | None, kind: str, language: str) -> Template | None:
    """The approved template (one with a ``content_sid``) that opens a message of ``kind``
    outside the window: the kind's own (``template_for``: the learner's language, else
    English), else its fallback kind's chosen the same way (a check-in without an approved
    template of its own goes as the opener, exactly as before it could have one)."""
    for each in (kind, FALLBACK[kind]) if kind in FALLBACK else (kind,):
        template = template_for(pack, each, language)
        if template is not None and template.content_sid:
            return template
    return None


def prompt_values(db, prompt, language: str) -> dict[str, str]:
    """What a check-in's or a milestone's template says beyond the learner and the pack."""
    from app.journeys import checkins, milestones

    if prompt is None:
        return {}
    if prompt.kind == checkins.KIND:
        return {"months": str(prompt.seq or "")}
    if prompt.kind == milestones.KIND:
        row = milestones.asked_by(db, prompt)
        learner = db.get(Learner, prompt.learner_id)
        found = milestones.definition(db, learner.site_id, row.key) if row is not None else None
        return {"milestone": say(language, found.title) if found else ""}
    return {}


def as_json(variables: dict[str, str]) -> str:
    return json.dumps(variables, ensure_ascii=False, separators=(",", ":"))

"""India's DLT: every commercial SMS to an Indian number must match a template registered
by the sender (its principal entity) on the operators' DLT platform, or it is dropped.

Here: the matching rule (fixed text exactly, each ``{#var#}`` at most 30 characters),
which of a pack's templates an outgoing text is, and what a carrier's refusal means.
The validator uses the same rule before a pack goes live (``app/content/templates.py``).
"""
from __future__ import annotations

import re
from datetime import timedelta
from functools import lru_cache

from app.i18n import N_, Said

VAR = "{#var#}"
VAR_MAX = 30
INDIA = "+91"
REFUSED = 30007  # Twilio: filtered by the carrier (for DLT: no matching registered template)
UNREGISTERED_REASON = "not sent: no registered DLT template matches this text (saathi dlt templates)"
UNREGISTERED_HOLD = timedelta(days=1)  # a learner whose text is unregistered: looked at again tomorrow


@lru_cache(maxsize=1024)
def pattern(registered: str) -> re.Pattern:
    """A registered text as a pattern: fixed text exactly, each ``{#var#}`` up to 30 characters."""
    parts = [re.escape(part) for part in registered.split(VAR)]
    return re.compile("^" + f"(.{{0,{VAR_MAX}}})".join(parts) + "$", re.DOTALL)


def mismatch(registered: str, text: str) -> str | None:
    """Why ``text`` would be dropped as not matching ``registered``; None if it matches."""
    if pattern(registered).match(text):
        return None
    loose = re.compile("^" + "(.*)".join(re.escape(p) for p in registered.split(VAR)) + "$", re.DOTALL)
    found = loose.match(text)
    if found:
        longest = max(found.groups(), key=len)
        return Said(N_("a {var} would carry {count} characters ('{text}'), over {most}"), var=VAR,
                    count=len(longest), text=longest[:40], most=VAR_MAX)
    return Said(N_("its fixed text differs from the registered text"))


def template_id(templates: dict | None, language: str, text: str) -> str | None:
    """The ID of the pack's DLT template (any message kind, in ``language``) that ``text``
    matches; None if none does."""
    for by_language in ((templates or {}).get("dlt") or {}).values():
        spec = by_language.get(language)
        if spec and pattern(spec["text"]).match(text):
            return spec["template_id"]
    return None


def template_id_in(all_templates, language: str, text: str) -> str | None:
    """``template_id`` across several packs' templates (the first that matches)."""
    for templates in all_templates:
        found = template_id(templates, language, text)
        if found:
            return found
    return None


def applies(phone: str, site) -> bool:
    """An SMS to an Indian number from a site registered on DLT."""
    return phone.startswith(INDIA) and site is not None and bool(site.dlt_entity_id)

"""The kinds of text a pack writes for its learners, named once.

A pack's texts are not prompts: a wrong-answer reply (``explanation``) is sent as a reply and
is never waited on, so it has no place among ``app.learning.prompt_kinds``. The validator's
cost table, the DLT template kinds (``content.templates``, ``saathi dlt templates``) and the
labels staff read (``saathi content validate``, the workspace's check page) all read this table.
"""
from __future__ import annotations

from app.i18n import N_

# Each kind, in the order the cost table lists them, with its label as staff read it (a catalog id).
TEXT_KINDS: dict[str, str] = {
    "greeting": N_("greeting"),
    "question": N_("question"),
    "explanation": N_("wrong-answer reply"),
    "rating": N_("rating"),
    "comment": N_("comment"),
}

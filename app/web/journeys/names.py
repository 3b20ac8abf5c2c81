"""Stage and kind names in the reader's language (the stored values are codes)."""
from __future__ import annotations

from flask_babel import gettext as _

from app.i18n import N_

STAGE_NAMES = {"enrolled": N_("Enrolled"), "training": N_("In training"), "graduated": N_("Graduated"),
               "placement": N_("Placement"), "outcome": N_("Outcome")}
KIND_NAMES = {"trial": N_("Trial"), "internship": N_("Internship"), "practice": N_("Practice"),
              "contract": N_("Contract"), "new_job": N_("New job"), "promotion": N_("Promotion"),
              "education": N_("Education"), "looking": N_("Still looking"), "left": N_("Left")}


def stage_name(code: str | None) -> str:
    return _(STAGE_NAMES[code]) if code in STAGE_NAMES else (code or "")


def kind_name(code: str | None) -> str:
    return _(KIND_NAMES[code]) if code in KIND_NAMES else (code or "")

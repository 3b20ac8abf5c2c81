"""One spelling per profession, so "Engineer", "engineer " and "ingeniør" meet.

Matching compares professions as plain strings; enrolment forms are typed by people in
several languages. The synonym map is small on purpose: a coordinator can always pick a
mentor of another profession, and a wrong merge would be worse than a missed one.
"""
from __future__ import annotations

import re

SYNONYMS = {
    "engineering": "engineer", "ingeniør": "engineer", "ingenieur": "engineer", "civil engineer": "engineer",
    "architecture": "architect", "arkitekt": "architect",
    "sykepleier": "nurse", "verpleegkundige": "nurse", "nursing": "nurse", "registered nurse": "nurse",
    "lærer": "teacher", "leraar": "teacher", "teaching": "teacher",
    "programmer": "software developer", "developer": "software developer", "utvikler": "software developer",
    "accounting": "accountant", "regnskapsfører": "accountant", "economist": "economist", "økonom": "economist",
    "doctor": "physician", "lege": "physician", "arts": "physician",
    "chef": "cook", "kokk": "cook",
}


def normalise(text: str | None) -> str:
    """Lower case, single spaces, no trailing dot; known synonyms to one name."""
    value = re.sub(r"\s+", " ", (text or "").strip().lower()).strip(" .")
    return SYNONYMS.get(value, value)


def normalise_list(text: str | None) -> str:
    """``"Arabic,  norwegian "`` -> ``"arabic, norwegian"`` (order kept, duplicates dropped)."""
    seen: list[str] = []
    for part in re.split(r"[,;/]", text or ""):
        value = re.sub(r"\s+", " ", part.strip().lower())
        if value and value not in seen:
            seen.append(value)
    return ", ".join(seen)


def as_set(text: str | None) -> set[str]:
    return {part for part in normalise_list(text).split(", ") if part}

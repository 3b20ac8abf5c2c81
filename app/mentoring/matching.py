"""Which mentors to suggest for a mentee, best first, each with the reasons why.

Pure functions over plain values: the coordinator's page, the API and the tests call
``suggest`` with what they read from the database. The order is the programme's rule:
same profession first ("engineer with engineer"), then the same sector, the same region,
a shared language; among equals the mentor with more free places, then the earlier
enrolled. Mentors who are inactive, full, or were declined for this mentee are left out.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from app.mentoring.professions import as_set, normalise


@dataclass(frozen=True)
class Person:
    """What matching reads of a mentor or a mentee."""

    id: int
    profession: str
    sector: str = ""
    region: str = ""
    languages: str = ""
    capacity: int = 1
    active: bool = True


@dataclass(frozen=True)
class Reason:
    """One reason, as a code and the value it names; the page words it in the user's language."""

    code: str  # profession | sector | region | language
    value: str


@dataclass
class Suggestion:
    mentor_id: int
    free: int
    reasons: list[Reason] = field(default_factory=list)

    @property
    def same_profession(self) -> bool:
        return any(r.code == "profession" for r in self.reasons)

    def rank(self) -> tuple:
        codes = [r.code for r in self.reasons]
        return (-("profession" in codes), -("sector" in codes), -("region" in codes),
                -codes.count("language"), -self.free, self.mentor_id)


def _same(a: str, b: str) -> bool:
    return bool(a.strip()) and a.strip().lower() == b.strip().lower()


def reasons_for(mentee: Person, mentor: Person) -> list[Reason]:
    """Why ``mentor`` suits ``mentee``: each shared trait, in the order the rule weighs them."""
    reasons = []
    if normalise(mentee.profession) and normalise(mentee.profession) == normalise(mentor.profession):
        reasons.append(Reason("profession", normalise(mentor.profession)))
    if _same(mentee.sector, mentor.sector):
        reasons.append(Reason("sector", mentor.sector.strip()))
    if _same(mentee.region, mentor.region):
        reasons.append(Reason("region", mentor.region.strip()))
    for language in sorted(as_set(mentee.languages) & as_set(mentor.languages)):
        reasons.append(Reason("language", language))
    return reasons


def suggest(mentee: Person, mentors: list[Person], *, open_pairs: dict[int, int], declined: set[int],
            limit: int = 10) -> list[Suggestion]:
    """Mentors for ``mentee``, best first.

    ``open_pairs`` counts each mentor's proposed, introduced and active pairs (against their
    capacity); ``declined`` holds the mentors declined for this mentee. A mentor sharing
    nothing with the mentee is still listed, last: a coordinator may know better.
    """
    found = []
    for mentor in mentors:
        free = mentor.capacity - open_pairs.get(mentor.id, 0)
        if not mentor.active or free <= 0 or mentor.id in declined:
            continue
        found.append(Suggestion(mentor.id, free, reasons_for(mentee, mentor)))
    found.sort(key=Suggestion.rank)
    return found[:limit]

"""Matching suggests mentors for a mentee: same profession first, then sector, region, language."""
from __future__ import annotations

from app.mentoring.matching import Person, Reason, suggest
from app.mentoring.professions import as_set, normalise, normalise_list

MENTEE = Person(id=1, profession="Engineer ", sector="Construction", region="Oslo", languages="Arabic, Norwegian")


def ids(found):
    return [s.mentor_id for s in found]


def test_professions_are_compared_in_one_spelling():
    assert normalise("Engineer") == normalise("engineer ") == normalise("  ENGINEER.") == "engineer"
    assert normalise("Ingeniør") == "engineer" and normalise("Sykepleier") == normalise("nurse")
    assert normalise("Civil   Engineer") == "engineer"
    assert normalise("welder") == "welder"
    assert normalise_list("Arabic,  norwegian ; ARABIC") == "arabic, norwegian"
    assert as_set("") == set()


def test_same_profession_outranks_sector_region_and_language():
    mentors = [
        Person(id=10, profession="teacher", sector="Construction", region="Oslo", languages="arabic, norwegian"),
        Person(id=11, profession="engineer"),
        Person(id=12, profession="engineer", region="oslo"),
        Person(id=13, profession="engineer", sector="construction"),
    ]
    found = suggest(MENTEE, mentors, open_pairs={}, declined=set())
    assert ids(found) == [13, 12, 11, 10]
    assert found[0].reasons == [Reason("profession", "engineer"), Reason("sector", "construction")]
    assert found[1].reasons == [Reason("profession", "engineer"), Reason("region", "oslo")]
    assert found[3].reasons == [Reason("sector", "Construction"), Reason("region", "Oslo"),
                                Reason("language", "arabic"), Reason("language", "norwegian")]
    assert found[0].same_profession and not found[3].same_profession


def test_shared_languages_then_free_places_break_ties():
    mentors = [Person(id=20, profession="engineer", capacity=3), Person(id=21, profession="engineer", languages="arabic"),
               Person(id=22, profession="engineer", capacity=1)]
    found = suggest(MENTEE, mentors, open_pairs={}, declined=set())
    assert ids(found) == [21, 20, 22]
    assert found[0].reasons[-1] == Reason("language", "arabic")


def test_full_inactive_and_declined_mentors_are_left_out():
    mentors = [Person(id=30, profession="engineer", capacity=2), Person(id=31, profession="engineer", active=False),
               Person(id=32, profession="engineer"), Person(id=33, profession="engineer", capacity=2)]
    found = suggest(MENTEE, mentors, open_pairs={30: 2, 33: 1}, declined={32})
    assert ids(found) == [33]
    assert found[0].free == 1


def test_a_mentor_sharing_nothing_is_still_listed_last_and_the_limit_holds():
    mentors = [Person(id=40 + i, profession="cook") for i in range(5)] + [Person(id=50, profession="engineer")]
    found = suggest(MENTEE, mentors, open_pairs={}, declined=set(), limit=3)
    assert ids(found) == [50, 40, 41]
    assert found[1].reasons == []

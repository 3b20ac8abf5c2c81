"""Migration 0006: a database written by the old engine (a rating row and a comment row per
learner and session) upgrades to one entry each, with nothing a learner said or a
supervisor decided lost; and downgrades back. On SQLite, and on PostgreSQL when
TEST_DATABASE_URL is set (in a schema of its own, so the shared test schema is untouched)."""
from __future__ import annotations

import os
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from app import migrate
from app.db import make_engine
from app.learning.sessions import complete_session
from app.models import Feedback, Prompt
from tests.conftest import START
from tests.factories import cohort, make_learners, make_module

CSV = """phone,name,site,language,cohort
+919876543210,Asha Devi,Andheri Mall,en,andheri-march
+919876543211,Ravi Kumar,Andheri Mall,hi,andheri-march
+919876543212,Sunil Rao,Andheri Mall,en,andheri-march
+919876543213,Meena Das,Andheri Mall,en,andheri-march
"""
T0 = START
LENT = [("learner", "wake_at TIMESTAMP"), ("learner", "whatsapp_open_until TIMESTAMP"),
        ("site", "dlt_entity_id VARCHAR(32)"), ("site", "dlt_header VARCHAR(11)"), ("pack", "templates JSON"),
        ("pack", "memory_parameters JSON"), ("pack", "memory_fitted_at TIMESTAMP"),
        ("pack", "memory_reviews INTEGER DEFAULT 0 NOT NULL"),
        ("pack", "partial_languages JSON DEFAULT '[]'"), ("pack", "needs_review JSON DEFAULT '{}'")]


@pytest.fixture(params=["sqlite", "postgresql"])
def old_database(request, tmp_path):
    """A database at revision 0005 (before this change); yields its URL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/old.db"
        migrate.upgrade(url, "0005")
        yield url
        return
    base = os.environ.get("TEST_DATABASE_URL")
    if not base or not base.startswith("postgresql"):
        pytest.skip("TEST_DATABASE_URL is not a PostgreSQL database")
    schema = f"mig_{uuid.uuid4().hex[:8]}"
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    try:
        migrate.upgrade(url, "0005")
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def legacy_rows(url) -> dict:
    """Learners, a held session and its prompts through the domain code (those tables are
    unchanged), then feedback rows as the old engine wrote them, in SQL."""
    engine = make_engine(url)
    # Today's models write learner.wake_at (0007), the channel columns (0009), the pack's language
    # notes (0010) and pack.memory_* (0011); at 0005 the columns are lent for the writes.
    with engine.begin() as conn:
        for table, column in LENT:
            conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column}"))
    with Session(engine, expire_on_commit=False) as db:
        module = make_module(db)
        learners = {l.name.split()[0].lower(): l for l in make_learners(db, T0, CSV)}
        session = complete_session(db=db, cohort=cohort(db), module=module, held_at=T0, now=T0).session
        db.commit()
        prompts = {(p.learner_id, p.kind): p.id for p in db.exec(select(Prompt)).all()}
        outside = Prompt(learner_id=learners["meena"].id, kind="rating", status="answered", due_at=T0, created_at=T0)
        outside_comment = Prompt(learner_id=learners["meena"].id, kind="comment", status="answered", due_at=T0,
                                 created_at=T0)
        db.add_all([outside, outside_comment])
        db.commit()
        ids = {"session": session.id, **{name: l.id for name, l in learners.items()},
               "outside": outside.id, "outside_comment": outside_comment.id}
    with engine.begin() as conn:
        for table, column in LENT:
            conn.execute(text(f"ALTER TABLE {table} DROP COLUMN {column.split()[0]}"))
    day, minute = timedelta(days=1), timedelta(minutes=1)
    rows = [
        # Asha: rating, then a comment that became a testimonial and was followed up.
        {"learner": "asha", "kind": "rating", "rating": 5, "comment": None, "flagged": False,
         "testimonial": False, "consent": None, "reviewed": None, "at": T0},
        {"learner": "asha", "kind": "comment", "rating": None, "comment": "Great trainer", "flagged": False,
         "testimonial": True, "consent": T0 + day, "reviewed": T0 + 2 * day, "at": T0 + 3 * minute},
        # Ravi: comment row stored first (lower id), a low rating still to follow up.
        {"learner": "ravi", "kind": "comment", "rating": None, "comment": "Too fast", "flagged": False,
         "testimonial": False, "consent": None, "reviewed": T0 + day, "at": T0 + 5 * minute},
        {"learner": "ravi", "kind": "rating", "rating": 2, "comment": None, "flagged": True,
         "testimonial": False, "consent": None, "reviewed": None, "at": T0 + 4 * minute},
        # Sunil rated only; Meena commented only, plus feedback outside any session.
        {"learner": "sunil", "kind": "rating", "rating": 4, "comment": None, "flagged": False,
         "testimonial": False, "consent": None, "reviewed": None, "at": T0},
        {"learner": "meena", "kind": "comment", "rating": None, "comment": "Loud room", "flagged": True,
         "testimonial": False, "consent": None, "reviewed": None, "at": T0},
    ]
    with engine.begin() as conn:
        for row in rows:
            conn.execute(text(
                "INSERT INTO feedback (learner_id, prompt_id, training_session_id, rating, comment, flagged, "
                "testimonial, consent_at, reviewed_at, created_at) VALUES (:learner, :prompt, :session, :rating, "
                ":comment, :flagged, :testimonial, :consent, :reviewed, :at)"),
                {**row, "learner": ids[row["learner"]], "prompt": prompts[(ids[row["learner"]], row["kind"])],
                 "session": ids["session"], "consent": _naive(row["consent"]), "reviewed": _naive(row["reviewed"]),
                 "at": _naive(row["at"])})
        for prompt, rating, comment in [(ids["outside"], 3, None), (ids["outside_comment"], None, "No session")]:
            conn.execute(text("INSERT INTO feedback (learner_id, prompt_id, rating, comment, flagged, testimonial, "
                              "created_at) VALUES (:learner, :prompt, :rating, :comment, true, false, :at)"),
                         {"learner": ids["meena"], "prompt": prompt, "rating": rating, "comment": comment,
                          "at": _naive(T0)})
    engine.dispose()
    ids["prompts"] = prompts
    return ids


def _naive(value):
    return value.replace(tzinfo=None) if value is not None else None


def feedback_of(url, learner_id):
    engine = make_engine(url)
    with Session(engine) as db:
        rows = db.exec(select(Feedback).where(Feedback.learner_id == learner_id).order_by(Feedback.id)).all()
    engine.dispose()
    return rows


def test_pairs_merge_into_one_entry_without_losing_anything(old_database):
    ids = legacy_rows(old_database)
    before = _count(old_database)
    engine = make_engine(old_database)
    with engine.connect() as conn:
        ravi_rating_row = conn.execute(text("SELECT id FROM feedback WHERE learner_id = :l AND rating IS NOT NULL"),
                                       {"l": ids["ravi"]}).scalar()
    engine.dispose()
    migrate.upgrade(old_database)
    p = ids["prompts"]

    (asha,) = feedback_of(old_database, ids["asha"])
    assert (asha.rating, asha.comment) == (5, "Great trainer")
    assert (asha.prompt_id, asha.comment_prompt_id) == (p[(ids["asha"], "rating")], p[(ids["asha"], "comment")])
    assert asha.testimonial and asha.consent_at == T0 + timedelta(days=1)
    assert not asha.flagged and asha.reviewed_at == T0 + timedelta(days=2)
    assert (asha.created_at, asha.updated_at) == (T0, T0 + timedelta(minutes=3))

    (ravi,) = feedback_of(old_database, ids["ravi"])
    assert (ravi.rating, ravi.comment) == (2, "Too fast")
    assert ravi.flagged  # the rating was still to be followed up, though the comment was done
    assert ravi.reviewed_at == T0 + timedelta(days=1)
    assert ravi.id == ravi_rating_row  # the rating's row is kept (its id may be linked to), the comment merged in

    (sunil,) = feedback_of(old_database, ids["sunil"])
    assert (sunil.rating, sunil.comment, sunil.comment_prompt_id) == (4, None, None)

    meena = feedback_of(old_database, ids["meena"])
    assert [(f.training_session_id, f.rating, f.comment) for f in meena] == [
        (ids["session"], None, "Loud room"), (None, 3, None), (None, None, "No session")]
    assert meena[0].prompt_id is None and meena[0].comment_prompt_id == p[(ids["meena"], "comment")]
    assert meena[2].comment_prompt_id == ids["outside_comment"]
    assert _count(old_database) == before - 2

    # Down again: the comments get rows of their own once more.
    migrate.downgrade(old_database, "0005")
    engine = make_engine(old_database)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT learner_id, prompt_id, rating, comment, flagged, testimonial "
                                 "FROM feedback ORDER BY learner_id, prompt_id")).all()
    engine.dispose()
    assert len(rows) == before
    assert (ids["asha"], p[(ids["asha"], "comment")], None, "Great trainer", False, True) in rows
    assert (ids["asha"], p[(ids["asha"], "rating")], 5, None, False, False) in rows
    migrate.upgrade(old_database)
    assert len(feedback_of(old_database, ids["asha"])) == 1


def test_an_upgrade_that_would_drop_a_rating_stops_and_changes_nothing(old_database):
    ids = legacy_rows(old_database)
    engine = make_engine(old_database)
    with engine.begin() as conn:  # a second rating for Sunil's session, which the old engine never wrote
        conn.execute(text("INSERT INTO feedback (learner_id, prompt_id, training_session_id, rating, flagged, "
                          "testimonial, created_at) VALUES (:l, :p, :s, 1, true, false, :at)"),
                     {"l": ids["sunil"], "p": ids["prompts"][(ids["sunil"], "comment")], "s": ids["session"],
                      "at": _naive(T0)})
    engine.dispose()
    before = _count(old_database)
    with pytest.raises(RuntimeError, match="more than one rating or comment"):
        migrate.upgrade(old_database)
    assert _count(old_database) == before
    engine = make_engine(old_database)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0005"
        assert conn.execute(text("SELECT count(*) FROM feedback WHERE learner_id = :l"), {"l": ids["asha"]}).scalar() == 2
    engine.dispose()


def _count(url) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM feedback")).scalar()
    engine.dispose()
    return n


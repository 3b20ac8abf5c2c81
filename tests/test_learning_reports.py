"""A cohort's measured recall by days since the session, and what its messages cost."""
from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from app.learning.sessions import complete_session
from app.models import Answer, Item, Outbox, Prompt
from app.reports.learning import bucket, recall_by_days, segments_per_learner, spend
from tests.conftest import START
from tests.factories import cohort, make_learners, make_module

OTHERS = """phone,name,site,language,cohort
+919876543212,Sunita Patil,Andheri Mall,en,andheri-april
"""


def setup(db):
    module = make_module(db)
    asha, ravi = make_learners(db, START)
    (sunita,) = [l for l in make_learners(db, START, OTHERS) if l.name == "Sunita Patil"]
    march, april = cohort(db), cohort(db, "andheri-april")
    complete_session(db=db, cohort=march, module=module, held_at=START, now=START)
    complete_session(db=db, cohort=april, module=module, held_at=START + timedelta(days=10),
                     now=START + timedelta(days=10))
    items = db.exec(select(Item).where(Item.module_id == module.id).order_by(Item.position)).all()
    return march, april, (asha, ravi, sunita), items


def answer(db, learner, item, *, days: float, correct: bool, kind: str = "review", held=START):
    when = held + timedelta(days=days)
    prompt = Prompt(learner_id=learner.id, kind=kind, item_id=item.id, status="answered", due_at=when,
                    created_at=when)
    db.add(prompt)
    db.flush()
    db.add(Answer(learner_id=learner.id, prompt_id=prompt.id, item_id=item.id, kind=kind, raw="1",
                  choice=1, correct=correct, answered_at=when))


def message(db, learner, *, segments: int, status: str = "delivered", purpose: str = "prompt",
            kind: str = "sms", seconds: int | None = None):
    db.add(Outbox(learner_id=learner.id, kind=kind, purpose=purpose, to_number=learner.phone, body="x",
                  segments=segments, status=status, duration_seconds=seconds, next_attempt_at=START,
                  created_at=START, updated_at=START))


def test_reviews_right_by_whole_days_since_the_cohorts_session(app, db):
    march, april, (asha, ravi, sunita), items = setup(db)
    answer(db, asha, items[0], days=0.1, correct=True, kind="question")  # the quiz: not a review
    answer(db, asha, items[0], days=1.2, correct=True)
    answer(db, ravi, items[1], days=1.9, correct=False)
    answer(db, asha, items[1], days=3.0, correct=True)
    answer(db, ravi, items[2], days=40.5, correct=True)
    answer(db, sunita, items[0], days=2.5, correct=False, held=START + timedelta(days=10))
    db.flush()

    points = recall_by_days(db=db, cohort_id=march.id)
    assert [(p.days, p.reviews, p.correct) for p in points] == [("1", 2, 1), ("3", 1, 1), ("40", 1, 1)]
    assert points[0].share_right == 0.5
    # Another cohort sat the same module ten days later: its days count from its own session.
    assert [(p.days, p.reviews, p.correct) for p in recall_by_days(db=db, cohort_id=april.id)] == [("2", 1, 0)]
    with_quiz = recall_by_days(db=db, cohort_id=march.id, kinds=("question", "review"))
    assert with_quiz[0].days == "0" and with_quiz[0].reviews == 1
    in_march_first_week = recall_by_days(db=db, cohort_id=march.id, end=START + timedelta(days=7))
    assert sum(p.reviews for p in in_march_first_week) == 3

    buckets = {p.days: (p.reviews, p.correct) for p in bucket(points)}
    assert buckets["1-2"] == (2, 1) and buckets["3-6"] == (1, 1) and buckets["30-59"] == (1, 1)
    assert buckets["0"] == (0, 0) and bucket(points)[0].share_right is None


def test_spend_counts_billed_segments_and_call_minutes_per_cohort(app, db):
    march, april, (asha, ravi, sunita), _items = setup(db)
    message(db, asha, segments=2)
    message(db, asha, segments=1, purpose="reply", status="replied")
    message(db, asha, segments=3, purpose="reminder", status="accepted")
    message(db, asha, segments=5, status="queued")  # not sent yet: not billed
    message(db, asha, segments=4, status="dead")  # never reached Twilio
    message(db, ravi, segments=0, kind="call", status="delivered", seconds=90)
    message(db, sunita, segments=7)
    db.flush()

    result = spend(db=db, cohort_id=march.id)
    assert (result.learners, result.messaged, result.messages, result.segments) == (2, 2, 4, 6)
    assert result.by_purpose == {"prompt": 2, "reply": 1, "reminder": 3}
    assert result.voice_seconds == 90 and result.voice_minutes == 1.5
    assert result.segments_per_learner == 3.0
    assert spend(db=db, cohort_id=april.id).segments == 7

    assert segments_per_learner(db=db, cohort_id=march.id) == [(0, 1), (6, 1)]  # Ravi only called


def test_an_empty_cohort_reports_nothing(app, db):
    march, *_ = setup(db)
    assert recall_by_days(db=db, cohort_id=march.id) == []
    result = spend(db=db, cohort_id=march.id)
    assert result.segments == 0 and result.segments_per_learner == 0 and result.by_purpose == {}
    assert segments_per_learner(db=db, cohort_id=march.id) == [(0, 2)]
    assert spend(db=db, cohort_id=10**6).segments_per_learner is None


def test_right_reviews_per_100_segments_per_cohort(app, db, client):
    """The dashboard's measured counterpart of the simulator's "per 100 seg"."""
    from app.reports.learning import by_cohort

    march, april, (asha, ravi, _sunita), items = setup(db)
    answer(db, asha, items[0], days=0.1, correct=True, kind="question")  # the quiz does not count
    answer(db, asha, items[0], days=2, correct=True)
    answer(db, ravi, items[1], days=3, correct=False)
    answer(db, ravi, items[2], days=9, correct=True)
    message(db, asha, segments=30)
    message(db, ravi, segments=10)
    db.flush()
    rows = {row.name: row for row in by_cohort(db=db, cohorts=[march, april])}
    assert rows["andheri-march"].right_per_100_segments == 5.0  # 2 right reviews for 40 segments
    assert rows["andheri-april"].right_per_100_segments is None  # nothing spent yet

"""The numbers supervisors read, computed by ``app.reports`` from a world seeded through the
domain code (see conftest): two Andheri learners answered 2,2,1 and 1,2,3 (right: 2,2,1)."""
from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from app.models import Learner, Outbox, Prompt, Site
from app.reports import feedback as fb
from app.reports import queries
from app.reports.recognition import Diligence, diligent_learners, parse_month
from app.reports.summary import period_for, site_summary, summary_csv
from app.scheduling.dispatcher import dispatch_once
from tests.web.conftest import app_db, say


def test_breakdown_counts_per_site(web_app, world):
    with app_db(web_app) as db:
        per_site = queries.breakdown(db=db, site_ids=None, by="site")
        a, b = per_site[world.site_a], per_site[world.site_b]
        assert (a.learners, a.active, a.sessions, a.questions_sent, a.answers, a.correct) == (2, 2, 1, 6, 6, 4)
        assert (a.ratings, a.rating_sum, a.comments, a.answering) == (2, 7, 2, 2)
        assert a.average_rating == 3.5 and round(a.accuracy, 3) == 0.667
        assert (b.answers, b.correct, b.ratings, b.comments) == (6, 5, 2, 1)  # Tesfaye skipped the comment
        assert a.segments > 0 and a.messages > 0 and a.undelivered == 0
        # Scoped to site A only, nothing of B appears.
        assert set(queries.breakdown(db=db, site_ids={world.site_a}, by="site")) == {world.site_a}
        assert queries.breakdown(db=db, site_ids=set(), by="site") == {}
        total = queries.overview(db=db, site_ids=None)
        assert total.answers == 12 and total.learners == 4


def test_opt_outs_and_undelivered_messages_are_counted(web_app, world, clock):
    with app_db(web_app) as db:
        say(db, "+919876543211", "STOP", clock.now())
        row = db.exec(select(Outbox).where(Outbox.learner_id == world.asha)).first()
        row.status = "undelivered"
        db.add(row)
        db.flush()
        a = queries.overview(db=db, site_ids={world.site_a})
        assert (a.opted_out, a.active, a.undelivered) == (1, 1, 1)
        # In a period before the opt-out, it does not count.
        earlier = queries.overview(db=db, site_ids={world.site_a}, end=clock.now() - timedelta(days=1))
        assert earlier.opted_out == 0 and earlier.answers == 0


def test_items_most_missed_first_and_modules(web_app, world):
    with app_db(web_app) as db:
        items = queries.accuracy_by_item(db=db, site_ids={world.site_a})
        assert [(i.key.rsplit("/", 1)[1], i.answers, i.missed) for i in items] == [
            ("check-payee", 2, 1), ("never-share-pin", 2, 1), ("otp-is-secret", 2, 0)]
        assert items[0].label["en"].startswith("Before you pay by UPI")
        modules = queries.accuracy_by_module(db=db, site_ids={world.site_a})
        assert [(m.key, m.answers, m.correct) for m in modules] == [("digital-banking/upi-safety", 6, 4)]
        by_session = queries.accuracy_by_item(db=db, site_ids={world.site_a}, session_id=world.session_b)
        assert by_session == []  # site A's scope excludes B's session


def test_retention_by_days_since_the_session(web_app, world, clock):
    """Reviews come back after days; each is dated from the learner's session."""
    for _day in range(4):
        clock.advance(days=1)
        dispatch_once(app=web_app)
        with app_db(web_app) as db:
            for learner_id in (world.asha, world.ravi):
                pending = db.exec(select(Prompt).where(Prompt.learner_id == learner_id,
                                                       Prompt.status == "pending")).first()
                if pending and pending.kind == "review":
                    say(db, db.get(Learner, learner_id).phone, "2", clock.now())
    with app_db(web_app) as db:
        points = queries.retention(db=db, site_ids={world.site_a})
        assert [p.label for p in points] == ["1-2", "3-6", "7-13", "14-29", "30-59", "60+"]
        reviews = sum(p.reviews for p in points)
        assert reviews > 0, "no review was sent within four days"
        assert all(p.reviews == 0 for p in points[2:])
        assert all(p.retention is None or 0 <= p.retention <= 1 for p in points)
        assert queries.retention(db=db, site_ids={world.site_b})[0].reviews == 0  # Oslo answered none


def test_segments_per_learner_most_expensive_first(web_app, world):
    with app_db(web_app) as db:
        costs = queries.segments_by_learner(db=db, site_ids={world.site_a})
        assert [c.name for c in costs] == ["Ravi Kumar", "Asha Devi"]  # Hindi costs more (UCS-2)
        assert costs[0].segments > costs[1].segments


def test_sessions_with_their_accuracy_and_rating(web_app, world):
    with app_db(web_app) as db:
        rows = queries.sessions(db=db, site_ids=None)
        assert {r.cohort.name: (r.answers, r.correct, r.average_rating) for r in rows} == {
            "andheri-march": (6, 4, 3.5), "oslo-mars": (6, 5, 2.5)}


def test_answers_by_day(web_app, world):
    with app_db(web_app) as db:
        assert queries.answers_by_day(db=db, site_ids={world.site_a}) == [(date(2026, 3, 2), 6, 4)]


def test_feedback_filters_and_flags(web_app, world, clock):
    with app_db(web_app) as db:
        rows, total = fb.list_feedback(db=db, site_ids={world.site_a})
        assert total == 2 and len(rows) == 2  # one entry per learner and session
        low, n = fb.list_feedback(db=db, site_ids=None, filters=fb.FeedbackFilter(low=True))
        assert n == 2 and {r.feedback.rating for r in low} == {1, 2}
        flagged, n = fb.list_feedback(db=db, site_ids={world.site_a}, filters=fb.FeedbackFilter(flagged=True))
        # Ravi's rating of 2 with its comment, and Asha's comment, arrive flagged.
        assert n == 2
        comment = next(r.feedback for r in flagged if r.feedback.comment == "Too fast for me")
        assert comment.rating == 2
        fb.set_flagged(db=db, feedback=comment, flagged=False, now=clock.now())
        assert fb.flagged_count(db=db, site_ids={world.site_a}) == 1
        assert comment.reviewed_at == clock.now()
        fb.set_flagged(db=db, feedback=comment, flagged=True, now=clock.now())
        assert fb.flagged_count(db=db, site_ids={world.site_a}) == 2 and comment.reviewed_at is None
        rated_five, n = fb.list_feedback(db=db, site_ids=None, filters=fb.FeedbackFilter(rating=5))
        assert n == 1 and rated_five[0].learner.name == "Asha Devi"


def test_testimonials_need_a_comment_and_consent(web_app, world, clock):
    with app_db(web_app) as db:
        rows, _ = fb.list_feedback(db=db, site_ids=None)
        rating = next(r.feedback for r in rows if r.feedback.comment is None)  # Tesfaye skipped his comment
        comment = next(r.feedback for r in rows if r.feedback.comment == "Very useful, thank you")
        try:
            fb.set_testimonial(db=db, feedback=rating, consent=True, now=clock.now())
            raise AssertionError("a rating became a testimonial")
        except fb.FeedbackError:
            pass
        fb.set_testimonial(db=db, feedback=comment, consent=True, now=clock.now())
        bank = fb.testimonials(db=db, site_ids=None, site_id=world.site_a)
        assert [r.feedback.comment for r in bank] == ["Very useful, thank you"]
        assert bank[0].feedback.consent_at == clock.now()
        assert fb.testimonials(db=db, site_ids={world.site_b}, site_id=world.site_a) == []
        fb.set_testimonial(db=db, feedback=comment, consent=False, now=clock.now())
        assert fb.testimonials(db=db, site_ids=None) == [] and comment.consent_at is None


def test_most_diligent_learners_of_the_month(web_app, world, clock):
    with app_db(web_app) as db:
        rows = diligent_learners(db=db, site_ids=None, site_id=world.site_a, year=2026, month=3)
        assert [(r.learner.name, r.answers, r.correct, r.streak) for r in rows] == [
            ("Asha Devi", 3, 3, 1), ("Ravi Kumar", 3, 1, 1)]
        assert diligent_learners(db=db, site_ids={world.site_b}, site_id=world.site_a, year=2026, month=3) == []
        assert diligent_learners(db=db, site_ids=None, site_id=world.site_a, year=2026, month=2) == []


def test_streak_is_the_longest_run_of_consecutive_days():
    days = {date(2026, 3, d) for d in (1, 2, 3, 5, 6, 9)}
    assert Diligence(learner=None, cohort=None, answers=6, correct=6, days=days).streak == 3
    assert Diligence(learner=None, cohort=None).streak == 0
    assert parse_month("2026-02", date(2026, 3, 5)) == (2026, 2)
    assert parse_month("nonsense", date(2026, 3, 5)) == (2026, 3)


def test_periods_are_calendar_weeks_and_months():
    week = period_for("weekly", "2026-03-04", date(2026, 1, 1))
    assert (week.first, week.last, week.slug) == (date(2026, 3, 2), date(2026, 3, 8), "2026-03-02")
    assert week.previous().first == date(2026, 2, 23) and week.following().first == date(2026, 3, 9)
    month = period_for("monthly", "2026-02", date(2026, 1, 1))
    assert (month.first, month.last, month.slug) == (date(2026, 2, 1), date(2026, 2, 28), "2026-02")
    assert period_for("monthly", None, date(2026, 12, 31)).following().slug == "2027-01"
    start, _end = week.bounds("Asia/Kolkata")
    assert start == datetime(2026, 3, 1, 18, 30, tzinfo=UTC)


def test_site_summary_and_its_csv(web_app, world):
    with app_db(web_app) as db:
        site = db.get(Site, world.site_a)
        summary = site_summary(db=db, site=site, period=period_for("weekly", "2026-03-02", date(2026, 3, 2)))
        assert [line.name for line in summary.lines] == ["andheri-march"]
        assert summary.total.answers == 6 and summary.most_missed[0].key.endswith("check-payee")
        rows = list(csv.DictReader(io.StringIO(summary_csv(summary))))
        assert [r["cohort"] for r in rows] == ["andheri-march", "TOTAL"]
        assert rows[-1]["answers"] == "6" and rows[-1]["accuracy_percent"] == "66.7"
        assert rows[-1]["average_rating"] == "3.5" and rows[-1]["from"] == "2026-03-02"
        empty = site_summary(db=db, site=site, period=period_for("weekly", "2026-02-16", date(2026, 3, 2)))
        assert empty.total.answers == 0 and empty.total.learners == 2


def test_csv_cells_cannot_smuggle_spreadsheet_formulas(web_app, world):
    from app.models import Cohort

    with app_db(web_app) as db:
        cohort = db.get(Cohort, world.cohort_a)
        cohort.name = "=HYPERLINK(\"http://evil\")"
        db.add(cohort)
        db.flush()
        summary = site_summary(db=db, site=db.get(Site, world.site_a),
                               period=period_for("monthly", "2026-03", date(2026, 3, 2)))
        assert "'=HYPERLINK" in summary_csv(summary)

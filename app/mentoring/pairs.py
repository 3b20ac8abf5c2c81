"""A pair's life: proposed -> introduced -> active -> closed (or declined, remembered).

The coordinator proposes a suggested mentor, records the introduction meeting, and
confirms the pair (it runs six months from the start unless told otherwise) or declines
it. Declining writes a ``MatchDecision``, so the suggestion is not made again.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, select

from app.i18n import N_
from app.journeys.checkins import months_after
from app.mentoring import matching
from app.mentoring.people import MentoringError
from app.models import MatchDecision, Meeting, Mentee, Mentor, Pair
from app.models.mentoring import DEFAULT_MONTHS, OPEN_STATUSES


def person(row) -> matching.Person:
    return matching.Person(id=row.id, profession=row.profession, sector=row.sector, region=row.region,
                           languages=row.languages, capacity=getattr(row, "capacity", 1), active=row.active)


def open_pairs(db: Session, site_id: int | None = None) -> dict[int, int]:
    query = select(Pair.mentor_id, func.count()).where(Pair.status.in_(OPEN_STATUSES)).group_by(Pair.mentor_id)
    if site_id is not None:
        query = query.where(Pair.site_id == site_id)
    return dict(db.exec(query).all())


def suggestions(db: Session, mentee: Mentee, *, limit: int = 10) -> list[tuple[Mentor, matching.Suggestion]]:
    """Suggested mentors of the mentee's programme, best first, each with its mentor row."""
    mentors = db.exec(select(Mentor).where(Mentor.site_id == mentee.site_id, Mentor.active)).all()
    declined = set(db.exec(select(MatchDecision.mentor_id).where(MatchDecision.mentee_id == mentee.id)).all())
    # A mentor already paired (or proposed) with this mentee is not suggested again either.
    declined |= set(db.exec(select(Pair.mentor_id).where(Pair.mentee_id == mentee.id,
                                                         Pair.status.in_(OPEN_STATUSES))).all())
    by_id = {m.id: m for m in mentors}
    found = matching.suggest(person(mentee), [person(m) for m in mentors], open_pairs=open_pairs(db),
                             declined=declined, limit=limit)
    return [(by_id[s.mentor_id], s) for s in found]


def open_pair_of(db: Session, mentee: Mentee) -> Pair | None:
    return db.exec(select(Pair).where(Pair.mentee_id == mentee.id, Pair.status.in_(OPEN_STATUSES))).first()


def propose(db: Session, *, mentee: Mentee, mentor: Mentor, by: int | None, now: datetime) -> Pair:
    if mentor.site_id != mentee.site_id:
        raise MentoringError(N_("The mentor belongs to another programme."))
    if open_pair_of(db, mentee) is not None:
        raise MentoringError(N_("This mentee already has a mentor proposed or active."))
    if db.exec(select(MatchDecision.id).where(MatchDecision.mentee_id == mentee.id,
                                              MatchDecision.mentor_id == mentor.id)).first():
        raise MentoringError(N_("This pair was declined before."))
    if not mentor.active or open_pairs(db).get(mentor.id, 0) >= mentor.capacity:
        raise MentoringError(N_("This mentor has no free place."))
    pair = Pair(site_id=mentee.site_id, mentor_id=mentor.id, mentee_id=mentee.id, status="proposed",
                goals=mentee.goals, proposed_at=now, created_by=by)
    db.add(pair)
    db.flush()
    return pair


def _expect(pair: Pair, *statuses: str) -> None:
    if pair.status not in statuses:
        raise MentoringError(N_("Not possible while the pair is {status}."), status=pair.status)


def introduce(db: Session, *, pair: Pair, on: date, today: date) -> Pair:
    """The introduction meeting was held on ``on``."""
    _expect(pair, "proposed")
    if on > today:
        raise MentoringError(N_("The date is in the future."))
    pair.status, pair.introduced_on = "introduced", on
    db.add(pair)
    return pair


def confirm(db: Session, *, pair: Pair, starts_on: date, goals: str = "", months: int = DEFAULT_MONTHS,
            ends_on: date | None = None) -> Pair:
    """The pair is on: it runs from ``starts_on`` for ``months`` (or until ``ends_on``)."""
    _expect(pair, "proposed", "introduced")
    ends_on = ends_on or months_after(starts_on, months)
    if ends_on <= starts_on:
        raise MentoringError(N_("The end must come after the start."))
    pair.status, pair.started_on, pair.ends_on = "active", starts_on, ends_on
    if goals.strip():
        pair.goals = goals.strip()
    db.add(pair)
    return pair


def decline(db: Session, *, mentee: Mentee, mentor_id: int, reason: str, by: int | None, now: datetime,
            pair: Pair | None = None) -> MatchDecision:
    """Decline a suggestion, or a proposed or introduced pair; the pair is not suggested again."""
    if pair is not None:
        _expect(pair, "proposed", "introduced")
        pair.status, pair.closed_at = "declined", now
        db.add(pair)
    decision = db.exec(select(MatchDecision).where(MatchDecision.mentee_id == mentee.id,
                                                   MatchDecision.mentor_id == mentor_id)).first()
    if decision is None:
        decision = MatchDecision(mentor_id=mentor_id, mentee_id=mentee.id, reason=reason.strip()[:300],
                                 decided_by=by, decided_at=now)
        db.add(decision)
    db.flush()
    return decision


def log_meeting(db: Session, *, pair: Pair, held_on: date, discussed: str, next_step: str = "",
                by: int | None, today: date, now: datetime) -> Meeting:
    _expect(pair, "introduced", "active")
    if held_on > today:
        raise MentoringError(N_("The date is in the future."))
    meeting = Meeting(pair_id=pair.id, held_on=held_on, discussed=discussed.strip()[:1000],
                      next_step=next_step.strip()[:500], logged_by=by, logged_at=now)
    db.add(meeting)
    db.flush()
    return meeting


def close(db: Session, *, pair: Pair, now: datetime) -> Pair:
    _expect(pair, "active")
    pair.status, pair.closed_at = "closed", now
    db.add(pair)
    return pair


def record_outcome(db: Session, *, pair: Pair, job: bool, in_field: bool, note: str = "") -> Pair:
    """The outcome of a closed pair: did the mentee find work, and in their own field?"""
    _expect(pair, "closed")
    pair.outcome_job, pair.outcome_in_field = job, job and in_field
    pair.outcome_note = note.strip()[:500]
    db.add(pair)
    return pair


def meetings_of(db: Session, pair_id: int) -> list[Meeting]:
    return list(db.exec(select(Meeting).where(Meeting.pair_id == pair_id)
                        .order_by(Meeting.held_on.desc(), Meeting.id.desc())).all())

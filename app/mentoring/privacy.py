"""Mentoring records in a data export, and their erasure.

A mentee linked to a learner is exported and erased with the learner
(app/web/dashboard/privacy.py); a mentor, or a mentee without a learner, by
``saathi mentoring export|erase``. Erasing one side of a pair deletes the pair with its
meetings, notices and decisions: they are about both people, and a pair with one side
gone means nothing. The other side's own record stays.
"""
from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import Session, select

from app.models import MatchDecision, Meeting, Mentee, Mentor, MentoringNotice, Pair


def _iso(value):
    return value.isoformat() if value is not None else None


def _pairs(db: Session, column, person_id: int) -> list[Pair]:
    return list(db.exec(select(Pair).where(column == person_id).order_by(Pair.proposed_at, Pair.id)).all())


def _pair_record(db: Session, pair: Pair, person: str) -> dict:
    """A pair as one side sees it: the messages sent to the other side are theirs, not exported here."""
    meetings = db.exec(select(Meeting).where(Meeting.pair_id == pair.id).order_by(Meeting.held_on, Meeting.id)).all()
    notices = db.exec(select(MentoringNotice).where(MentoringNotice.pair_id == pair.id, MentoringNotice.person == person)
                      .order_by(MentoringNotice.sent_at, MentoringNotice.id)).all()
    return {"id": pair.id, "status": pair.status, "goals": pair.goals, "proposed_at": _iso(pair.proposed_at),
            "introduced_on": _iso(pair.introduced_on), "started_on": _iso(pair.started_on),
            "ends_on": _iso(pair.ends_on), "closed_at": _iso(pair.closed_at), "outcome_job": pair.outcome_job,
            "outcome_in_field": pair.outcome_in_field, "outcome_note": pair.outcome_note,
            "meetings": [{"held_on": _iso(m.held_on), "discussed": m.discussed, "next_step": m.next_step}
                         for m in meetings],
            "messages": [{"kind": n.kind, "to": n.person, "channel": n.channel, "body": n.body,
                          "sent_at": _iso(n.sent_at)} for n in notices]}


def _person_record(row) -> dict:
    fields = ("id", "name", "phone", "email", "profession", "sector", "region", "languages", "language", "active",
              "capacity", "employer", "education", "goals")
    record = {name: getattr(row, name) for name in fields if hasattr(row, name)}
    record.update(consent_at=_iso(row.consent_at), opted_out_at=_iso(row.opted_out_at), created_at=_iso(row.created_at))
    return record


def export_mentor(db: Session, mentor: Mentor) -> dict:
    return {"mentor": _person_record(mentor),
            "pairs": [_pair_record(db, p, "mentor") for p in _pairs(db, Pair.mentor_id, mentor.id)]}


def export_mentee(db: Session, mentee: Mentee) -> dict:
    declined = db.exec(select(MatchDecision).where(MatchDecision.mentee_id == mentee.id)).all()
    return {"mentee": _person_record(mentee),
            "pairs": [_pair_record(db, p, "mentee") for p in _pairs(db, Pair.mentee_id, mentee.id)],
            "declined_mentors": [{"mentor_id": d.mentor_id, "reason": d.reason, "decided_at": _iso(d.decided_at)}
                                 for d in declined]}


def mentee_records_of_learner(db: Session, learner_id: int) -> list[dict]:
    return [export_mentee(db, m) for m in db.exec(select(Mentee).where(Mentee.learner_id == learner_id)).all()]


def _erase_pairs(db: Session, pair_ids: list[int]) -> dict[str, int]:
    ids = pair_ids or [-1]
    return {"meeting": db.exec(delete(Meeting).where(Meeting.pair_id.in_(ids))).rowcount,
            "mentoring_notice": db.exec(delete(MentoringNotice).where(MentoringNotice.pair_id.in_(ids))).rowcount,
            "pair": db.exec(delete(Pair).where(Pair.id.in_(ids))).rowcount}


def erase_mentor(db: Session, mentor: Mentor) -> dict[str, int]:
    counts = _erase_pairs(db, [p.id for p in _pairs(db, Pair.mentor_id, mentor.id)])
    counts["match_decision"] = db.exec(delete(MatchDecision).where(MatchDecision.mentor_id == mentor.id)).rowcount
    counts["mentor"] = db.exec(delete(Mentor).where(Mentor.id == mentor.id)).rowcount
    db.expunge(mentor)
    db.flush()
    return counts


def erase_mentees(db: Session, mentee_ids: list[int]) -> dict[str, int]:
    ids = mentee_ids or [-1]
    pair_ids = list(db.exec(select(Pair.id).where(Pair.mentee_id.in_(ids))).all())
    counts = _erase_pairs(db, pair_ids)
    counts["match_decision"] = db.exec(delete(MatchDecision).where(MatchDecision.mentee_id.in_(ids))).rowcount
    counts["mentee"] = db.exec(delete(Mentee).where(Mentee.id.in_(ids))).rowcount
    db.flush()
    return counts


def erase_mentees_of_learner(db: Session, learner_id: int) -> dict[str, int]:
    ids = list(db.exec(select(Mentee.id).where(Mentee.learner_id == learner_id)).all())
    return erase_mentees(db, ids) if ids else {}

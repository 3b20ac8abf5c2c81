"""What the coordinator's page counts, inside the sites the user may see.

One function per question the coordinator asks, each over the sites given (``None``: all),
so the page, the API and the tests read the same numbers.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, select

from app.mentoring.pairs import open_pairs
from app.models import Meeting, Mentee, Mentor, MentoringProgramme, Pair, Site
from app.models.mentoring import OPEN_STATUSES


def _in(query, column, site_ids):
    return query if site_ids is None else query.where(column.in_(site_ids or {-1}))


@dataclass
class PairRow:
    pair: Pair
    mentor: Mentor
    mentee: Mentee
    site: Site
    meetings: int = 0
    last_met: date | None = None


@dataclass
class Overview:
    pairs: list[PairRow] = field(default_factory=list)  # open pairs and closed pairs awaiting their outcome
    waiting: list[Mentee] = field(default_factory=list)
    free_mentors: list[tuple[Mentor, int]] = field(default_factory=list)
    outcomes: list[tuple[str, int, int, int]] = field(default_factory=list)  # profession, closed, job, in field
    started_this_year: int = 0
    target: int | None = None

    @property
    def active(self) -> list[PairRow]:
        return [r for r in self.pairs if r.pair.status == "active"]

    @property
    def pending(self) -> list[PairRow]:
        return [r for r in self.pairs if r.pair.status in ("proposed", "introduced")]

    @property
    def outcome_due(self) -> list[PairRow]:
        return [r for r in self.pairs if r.pair.status == "closed"]


def waiting_mentees(db: Session, site_ids) -> list[Mentee]:
    """Active mentees who have never had a pair that went ahead (open or closed)."""
    paired = select(Pair.mentee_id).where(Pair.status.in_((*OPEN_STATUSES, "closed")))
    return list(db.exec(_in(select(Mentee).where(Mentee.active, Mentee.id.not_in(paired)), Mentee.site_id, site_ids)
                        .order_by(Mentee.created_at, Mentee.id)).all())


def overview(db: Session, *, site_ids, today: date) -> Overview:
    out = Overview(waiting=waiting_mentees(db, site_ids))
    taken = open_pairs(db)
    mentors = db.exec(_in(select(Mentor).where(Mentor.active), Mentor.site_id, site_ids).order_by(Mentor.name)).all()
    out.free_mentors = [(m, m.capacity - taken.get(m.id, 0)) for m in mentors if m.capacity > taken.get(m.id, 0)]
    shown = (Pair.status.in_(OPEN_STATUSES)) | ((Pair.status == "closed") & Pair.outcome_job.is_(None))
    rows = db.exec(_in(select(Pair, Mentor, Mentee, Site).join(Mentor, Mentor.id == Pair.mentor_id)
                       .join(Mentee, Mentee.id == Pair.mentee_id).join(Site, Site.id == Pair.site_id)
                       .where(shown), Pair.site_id, site_ids).order_by(Pair.ends_on, Pair.id)).all()
    ids = [p.id for p, *_ in rows] or [-1]
    met = {pid: (n, last) for pid, n, last in db.exec(
        select(Meeting.pair_id, func.count(), func.max(Meeting.held_on)).where(Meeting.pair_id.in_(ids))
        .group_by(Meeting.pair_id)).all()}
    out.pairs = [PairRow(p, m, e, s, *met.get(p.id, (0, None))) for p, m, e, s in rows]
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for profession, job, in_field in db.exec(_in(
            select(Mentee.profession, Pair.outcome_job, Pair.outcome_in_field).join(Mentee, Mentee.id == Pair.mentee_id)
            .where(Pair.status == "closed", Pair.outcome_job.is_not(None)), Pair.site_id, site_ids)).all():
        row = tally[profession]
        row[0] += 1
        row[1] += bool(job)
        row[2] += bool(in_field)
    out.outcomes = sorted(((p, *v) for p, v in tally.items()), key=lambda r: (-r[1], r[0]))
    out.started_this_year = db.exec(_in(
        select(func.count()).select_from(Pair).where(Pair.started_on >= date(today.year, 1, 1),
                                                     Pair.started_on <= date(today.year, 12, 31)),
        Pair.site_id, site_ids)).one()
    targets = db.exec(_in(select(MentoringProgramme.pairs_per_year).where(MentoringProgramme.pairs_per_year.is_not(None)),
                          MentoringProgramme.site_id, site_ids)).all()
    out.target = sum(targets) if targets else None
    return out


def programme(db: Session, site_id: int) -> MentoringProgramme:
    """The site's mentoring settings row, made on first use."""
    row = db.get(MentoringProgramme, site_id)
    if row is None:
        row = MentoringProgramme(site_id=site_id)
        db.add(row)
        db.flush()
    return row

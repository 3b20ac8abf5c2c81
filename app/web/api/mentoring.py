"""API views and models of mentoring: mentors, mentees, suggestions, pairs and meetings.

Scoped to the caller's sites like the rest of the API; phone numbers masked except for
admins. Kept beside ``journeys`` and imported before ``routes`` for the same reason.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from flask import url_for
from pydantic import BaseModel, Field
from sqlmodel import select

from app.clock import get_clock
from app.db import get_db
from app.mentoring import pairs
from app.mentoring.people import MentoringError, enrol_mentee, enrol_mentor
from app.models import Meeting, Mentee, Mentor, Pair, Site
from app.models.mentoring import PAIR_STATUSES
from app.people.phones import masked_phone
from app.web.api import queries
from app.web.api.auth import current_user, reveals_phones, site_scope
from app.web.api.errors import ApiError, not_found
from app.web.api.openapi import operation
from app.web.api.schemas import DbId, Ref, Strict

MAX_ROWS = 500


class PersonCreate(Strict):
    site_id: DbId = Field(description="The programme (a site), one of yours.")
    name: str = Field(min_length=1, max_length=120)
    profession: str = Field(min_length=1, max_length=80, description="Normalised: case, spaces and a few synonyms.")
    phone: str | None = Field(None, max_length=32, description="A phone number or an e-mail is needed.")
    email: str | None = Field(None, max_length=254)
    sector: str = Field("", max_length=80)
    region: str = Field("", max_length=80)
    languages: str = Field("", max_length=200, description="Languages spoken, comma separated.")
    language: str = Field("en", max_length=8, description="The language Saathi writes to them in.")


class MentorCreate(PersonCreate):
    capacity: int = Field(1, ge=1, le=10, description="Mentees at once.")
    employer: str = Field("", max_length=120)


class MenteeCreate(PersonCreate):
    education: str = Field("", max_length=200)
    goals: str = Field("", max_length=1000)


class PersonOut(BaseModel):
    id: int
    site: Ref
    name: str
    phone: str | None = Field(description="Masked except for admins.")
    email: str | None
    profession: str
    sector: str
    region: str
    languages: list[str]
    active: bool


class MentorOut(PersonOut):
    capacity: int
    employer: str
    free: int = Field(description="Places free now (capacity less open pairs).")


class MenteeOut(PersonOut):
    learner_id: int | None
    education: str
    goals: str


class MentorList(BaseModel):
    data: list[MentorOut]


class MenteeList(BaseModel):
    data: list[MenteeOut]


class MentoringQuery(Strict):
    site_id: DbId | None = Field(None, description="Only this programme (site).")


class PairQuery(MentoringQuery):
    status: Literal[PAIR_STATUSES] | None = None


class ReasonOut(BaseModel):
    code: Literal["profession", "sector", "region", "language"]
    value: str


class SuggestionOut(BaseModel):
    mentor: Ref
    free: int
    reasons: list[ReasonOut] = Field(description="Why, in the order the rule weighs them.")


class SuggestionList(BaseModel):
    data: list[SuggestionOut] = Field(description="Best first.")


class PairCreate(Strict):
    mentee_id: DbId
    mentor_id: DbId


class PairOut(BaseModel):
    id: int
    site: Ref
    mentor: Ref
    mentee: Ref
    status: Literal[PAIR_STATUSES]
    goals: str
    introduced_on: date | None
    started_on: date | None
    ends_on: date | None
    outcome_job: bool | None
    outcome_in_field: bool | None


class PairList(BaseModel):
    data: list[PairOut]


class MeetingCreate(Strict):
    held_on: date = Field(description="Not in the future.")
    discussed: str = Field(min_length=1, max_length=1000)
    next_step: str = Field("", max_length=500)


class MeetingOut(BaseModel):
    id: int
    held_on: date
    discussed: str
    next_step: str
    logged_at: datetime


class MeetingList(BaseModel):
    data: list[MeetingOut] = Field(description="Newest first.")


def _scoped(query, column, q):
    allowed = site_scope()
    if allowed is not None:
        query = query.where(column.in_(allowed or {-1}))
    if q is not None and q.site_id is not None:
        if queries.visible_site(db=get_db(), site_ids=allowed, site_id=q.site_id) is None:
            raise not_found(f"No site {q.site_id} among your sites.")
        query = query.where(column == q.site_id)
    return query


def _visible(model, row_id: int, what: str):
    row = get_db().get(model, row_id)
    allowed = site_scope()
    if row is None or (allowed is not None and row.site_id not in allowed):
        raise not_found(f"No {what} {row_id} among your sites.")
    return row


def _sites() -> dict[int, str]:
    return {s.id: s.name for s in get_db().exec(select(Site)).all()}


def _person(row, sites) -> dict:
    phone = row.phone if reveals_phones() or not row.phone else masked_phone(row.phone)
    return {"id": row.id, "site": Ref(id=row.site_id, name=sites[row.site_id]), "name": row.name,
            "phone": phone, "email": row.email, "profession": row.profession, "sector": row.sector,
            "region": row.region, "languages": [x for x in row.languages.split(", ") if x], "active": row.active}


def _mentor_out(row, sites, taken) -> MentorOut:
    return MentorOut(**_person(row, sites), capacity=row.capacity, employer=row.employer,
                     free=max(0, row.capacity - taken.get(row.id, 0)))


def _mentee_out(row, sites) -> MenteeOut:
    return MenteeOut(**_person(row, sites), learner_id=row.learner_id, education=row.education, goals=row.goals)


def _pair_out(db, p: Pair) -> PairOut:
    mentor, mentee, site = db.get(Mentor, p.mentor_id), db.get(Mentee, p.mentee_id), db.get(Site, p.site_id)
    return PairOut(id=p.id, site=Ref(id=site.id, name=site.name), mentor=Ref(id=mentor.id, name=mentor.name),
                   mentee=Ref(id=mentee.id, name=mentee.name), status=p.status, goals=p.goals,
                   introduced_on=p.introduced_on, started_on=p.started_on, ends_on=p.ends_on,
                   outcome_job=p.outcome_job, outcome_in_field=p.outcome_in_field)


def _refused(exc: MentoringError):
    get_db().rollback()
    return ApiError(422, "refused", str(exc))


@operation("GET", "/mentoring/mentors", response=MentorList, query=MentoringQuery)
def mentoring_mentors(query: MentoringQuery):
    """Mentors of your programmes, with their free places (at most 500, oldest first)."""
    db = get_db()
    rows = db.exec(_scoped(select(Mentor), Mentor.site_id, query).order_by(Mentor.id).limit(MAX_ROWS)).all()
    sites, taken = _sites(), pairs.open_pairs(db)
    return MentorList(data=[_mentor_out(m, sites, taken) for m in rows])


def _site_for(body) -> Site:
    site = queries.visible_site(db=get_db(), site_ids=site_scope(), site_id=body.site_id)
    if site is None:
        raise not_found(f"No site {body.site_id} among your sites.")
    return site


@operation("POST", "/mentoring/mentors", response=MentorOut, status=201, body=MentorCreate)
def mentoring_enrol_mentor(body: MentorCreate):
    """Enrol a mentor. A phone number that is not one, or neither phone nor e-mail, is a 422."""
    db = get_db()
    fields = body.model_dump(exclude={"site_id"})
    try:
        row = enrol_mentor(db, site=_site_for(body), now=get_clock().now(), **fields)
        db.commit()
    except MentoringError as exc:
        raise _refused(exc) from None
    return _mentor_out(row, _sites(), pairs.open_pairs(db)), {"Location": url_for("api.mentoring_mentor", mentor_id=row.id)}


@operation("GET", "/mentoring/mentors/<mentor_id>", response=MentorOut)
def mentoring_mentor(mentor_id: int):
    """One mentor, with their free places."""
    row = _visible(Mentor, mentor_id, "mentor")
    return _mentor_out(row, _sites(), pairs.open_pairs(get_db()))


@operation("GET", "/mentoring/mentees", response=MenteeList, query=MentoringQuery)
def mentoring_mentees(query: MentoringQuery):
    """Mentees of your programmes (at most 500, oldest first)."""
    db = get_db()
    rows = db.exec(_scoped(select(Mentee), Mentee.site_id, query).order_by(Mentee.id).limit(MAX_ROWS)).all()
    sites = _sites()
    return MenteeList(data=[_mentee_out(m, sites) for m in rows])


@operation("POST", "/mentoring/mentees", response=MenteeOut, status=201, body=MenteeCreate)
def mentoring_enrol_mentee(body: MenteeCreate):
    """Enrol a mentee. A phone number that is not one, or neither phone nor e-mail, is a 422."""
    db = get_db()
    fields = body.model_dump(exclude={"site_id"})
    try:
        row = enrol_mentee(db, site=_site_for(body), now=get_clock().now(), **fields)
        db.commit()
    except MentoringError as exc:
        raise _refused(exc) from None
    return _mentee_out(row, _sites()), {"Location": url_for("api.mentoring_mentee", mentee_id=row.id)}


@operation("GET", "/mentoring/mentees/<mentee_id>", response=MenteeOut)
def mentoring_mentee(mentee_id: int):
    """One mentee."""
    return _mentee_out(_visible(Mentee, mentee_id, "mentee"), _sites())


@operation("GET", "/mentoring/mentees/<mentee_id>/suggestions", response=SuggestionList)
def mentoring_suggestions(mentee_id: int):
    """Mentors suggested for a mentee, best first: same profession, then sector, region, language."""
    db = get_db()
    mentee = _visible(Mentee, mentee_id, "mentee")
    found = pairs.suggestions(db, mentee)
    return SuggestionList(data=[SuggestionOut(mentor=Ref(id=m.id, name=m.name), free=s.free,
                                              reasons=[ReasonOut(code=r.code, value=r.value) for r in s.reasons])
                                for m, s in found])


@operation("GET", "/mentoring/pairs", response=PairList, query=PairQuery)
def mentoring_pairs(query: PairQuery):
    """Pairs of your programmes (at most 500, newest first)."""
    db = get_db()
    statement = _scoped(select(Pair), Pair.site_id, query)
    if query.status is not None:
        statement = statement.where(Pair.status == query.status)
    rows = db.exec(statement.order_by(Pair.id.desc()).limit(MAX_ROWS)).all()
    return PairList(data=[_pair_out(db, p) for p in rows])


@operation("POST", "/mentoring/pairs", response=PairOut, status=201, body=PairCreate, roles=("supervisor", "admin"))
def mentoring_propose(body: PairCreate):
    """Propose a mentor for a mentee (supervisors and admins): the pair starts as ``proposed``.

    Refused with 422 when the mentee already has an open pair, the mentor is full or
    inactive, or this pair was declined before.
    """
    db = get_db()
    mentee = _visible(Mentee, body.mentee_id, "mentee")
    mentor = _visible(Mentor, body.mentor_id, "mentor")
    try:
        pair = pairs.propose(db, mentee=mentee, mentor=mentor, by=current_user().id, now=get_clock().now())
        db.commit()
    except MentoringError as exc:
        raise _refused(exc) from None
    return _pair_out(db, pair), {"Location": url_for("api.mentoring_pair", pair_id=pair.id)}


@operation("GET", "/mentoring/pairs/<pair_id>", response=PairOut)
def mentoring_pair(pair_id: int):
    """One pair: its status, dates, goals and outcome."""
    return _pair_out(get_db(), _visible(Pair, pair_id, "pair"))


@operation("GET", "/mentoring/pairs/<pair_id>/meetings", response=MeetingList)
def mentoring_meetings(pair_id: int):
    """A pair's meeting log, newest first."""
    pair = _visible(Pair, pair_id, "pair")
    return MeetingList(data=[_meeting_out(m) for m in pairs.meetings_of(get_db(), pair.id)])


def _meeting_out(m: Meeting) -> MeetingOut:
    return MeetingOut(id=m.id, held_on=m.held_on, discussed=m.discussed, next_step=m.next_step, logged_at=m.logged_at)


@operation("POST", "/mentoring/pairs/<pair_id>/meetings", response=MeetingOut, status=201, body=MeetingCreate)
def mentoring_log_meeting(pair_id: int, body: MeetingCreate):
    """Log a meeting of an introduced or active pair; a future date is a 422."""
    from zoneinfo import ZoneInfo

    db = get_db()
    pair = _visible(Pair, pair_id, "pair")
    site = db.get(Site, pair.site_id)
    now = get_clock().now()
    try:
        meeting = pairs.log_meeting(db, pair=pair, held_on=body.held_on, discussed=body.discussed,
                                    next_step=body.next_step, by=current_user().id,
                                    today=now.astimezone(ZoneInfo(site.timezone or "UTC")).date(), now=now)
        db.commit()
    except MentoringError as exc:
        raise _refused(exc) from None
    return _meeting_out(meeting), {"Location": url_for("api.mentoring_meetings", pair_id=pair.id)}

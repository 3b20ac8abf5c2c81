"""The API's reads: scoped to the caller's sites, filtered, keyset-paged, all in SQL.

Each list is one query that joins in the names it shows (site, cohort, learner, module),
ordered by id and cut with ``id > cursor`` plus ``LIMIT n + 1`` (the extra row says
whether there is a next page), so a page costs the same on page 1 and page 10,000 and
rows inserted meanwhile are neither skipped nor repeated. Per-row numbers (a cohort's
learners, a session's answers) are one grouped query over the page's ids, never a query
per row. Plain functions over a session and a site scope (``None``: every site), like
``app.reports``; they know nothing of HTTP.
"""
from __future__ import annotations

from sqlalchemy import case, func
from sqlmodel import Session, select

from app.models import (
    Answer,
    Card,
    Cohort,
    Feedback,
    Item,
    Learner,
    Module,
    Prompt,
    Site,
    TrainingSession,
)
from app.people.phones import masked_phone
from app.reports.feedback import FeedbackFilter, feedback_query
from app.reports.queries import in_sites
from app.web.api import schemas as s
from app.web.api.schemas import MAX_ID


def _keyset(db: Session, query, id_column, q: s.ListQuery, *, id_of=lambda row: row[0].id):
    """One page of ``query`` after ``q.cursor`` and the cursor of the next (``None``: last page)."""
    if q.cursor is not None:
        query = query.where(id_column > min(int(q.cursor), MAX_ID))
    rows = list(db.exec(query.order_by(id_column).limit(q.limit + 1)).all())
    if len(rows) <= q.limit:
        return rows, None
    rows = rows[:q.limit]
    return rows, str(id_of(rows[-1]))


def _count_true(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _ref(row) -> s.Ref | None:
    return None if row is None else s.Ref(id=row.id, name=row.name)


def _item_ref(item: Item, module: Module) -> s.ItemRef:
    return s.ItemRef(id=item.id, key=f"{module.key}/{item.slug}")


def _phone(phone: str, reveal: bool) -> str:
    return phone if reveal else masked_phone(phone)


# ---- visibility ----------------------------------------------------------------------------

def _visible(site_ids: set[int] | None, site_id: int | None) -> bool:
    return site_id is not None and (site_ids is None or site_id in site_ids)


def visible_site(*, db: Session, site_ids, site_id: int) -> Site | None:
    site = db.get(Site, site_id)
    return site if site is not None and _visible(site_ids, site.id) else None


def visible_cohort(*, db: Session, site_ids, cohort_id: int) -> Cohort | None:
    cohort = db.get(Cohort, cohort_id)
    return cohort if cohort is not None and _visible(site_ids, cohort.site_id) else None


def visible_learner(*, db: Session, site_ids, learner_id: int) -> Learner | None:
    learner = db.get(Learner, learner_id)
    return learner if learner is not None and _visible(site_ids, learner.site_id) else None


def visible_session(*, db: Session, site_ids, session_id: int) -> TrainingSession | None:
    session = db.get(TrainingSession, session_id)
    if session is None or visible_cohort(db=db, site_ids=site_ids, cohort_id=session.cohort_id) is None:
        return None
    return session


# ---- sites and cohorts ---------------------------------------------------------------------

def site_out(site: Site) -> s.SiteOut:
    return s.SiteOut.model_validate(site, from_attributes=True)


def list_sites(*, db: Session, site_ids, q: s.SiteQuery) -> s.SitePage:
    query = in_sites(select(Site), Site.id, site_ids)
    rows, cursor = _keyset(db, query, Site.id, q, id_of=lambda site: site.id)
    return s.SitePage(data=[site_out(site) for site in rows], next_cursor=cursor)


def list_cohorts(*, db: Session, site_ids, q: s.CohortQuery) -> s.CohortPage:
    query = in_sites(select(Cohort, Site).join(Site, Site.id == Cohort.site_id), Cohort.site_id, site_ids)
    if q.site_id is not None:
        query = query.where(Cohort.site_id == q.site_id)
    rows, cursor = _keyset(db, query, Cohort.id, q)
    counts = dict(db.exec(select(Learner.cohort_id, func.count(Learner.id))
                          .where(Learner.cohort_id.in_([c.id for c, _ in rows] or [-1]))
                          .group_by(Learner.cohort_id)).all())
    return s.CohortPage(data=[s.CohortOut(id=c.id, name=c.name, site=_ref(site), learners=counts.get(c.id, 0),
                                          created_at=c.created_at) for c, site in rows], next_cursor=cursor)


# ---- learners ------------------------------------------------------------------------------

def _learner_fields(learner: Learner, site: Site, cohort: Cohort | None, reveal: bool) -> dict:
    return {"id": learner.id, "name": learner.name, "phone": _phone(learner.phone, reveal),
            "site": _ref(site), "cohort": _ref(cohort), "language": learner.language,
            "channel": learner.channel, "status": learner.status, "created_at": learner.created_at}


def list_learners(*, db: Session, site_ids, q: s.LearnerQuery, reveal_phones: bool) -> s.LearnerPage:
    query = in_sites(select(Learner, Site, Cohort).join(Site, Site.id == Learner.site_id)
                     .outerjoin(Cohort, Cohort.id == Learner.cohort_id), Learner.site_id, site_ids)
    if q.site_id is not None:
        query = query.where(Learner.site_id == q.site_id)
    if q.cohort_id is not None:
        query = query.where(Learner.cohort_id == q.cohort_id)
    if q.status is not None:
        query = query.where(Learner.status == q.status)
    if q.since is not None:
        query = query.where(Learner.created_at >= q.since)
    rows, cursor = _keyset(db, query, Learner.id, q)
    return s.LearnerPage(data=[s.LearnerOut(**_learner_fields(*row, reveal_phones)) for row in rows],
                         next_cursor=cursor)


def learner_detail(*, db: Session, learner: Learner, reveal_phones: bool) -> s.LearnerDetail:
    """The learner with their cards (soonest due first), pending prompt and answer totals."""
    site = db.get(Site, learner.site_id)
    cohort = db.get(Cohort, learner.cohort_id) if learner.cohort_id else None
    cards = db.exec(select(Card, Item, Module).join(Item, Item.id == Card.item_id)
                    .join(Module, Module.id == Item.module_id).where(Card.learner_id == learner.id)
                    .order_by(Card.due, Card.id)).all()
    pending = db.exec(select(Prompt, Item, Module).outerjoin(Item, Item.id == Prompt.item_id)
                      .outerjoin(Module, Module.id == Item.module_id)
                      .where(Prompt.learner_id == learner.id, Prompt.status == "pending")).first()
    answered, correct = db.exec(select(func.count(Answer.id), _count_true(Answer.correct))
                                .where(Answer.learner_id == learner.id)).one()
    pending_out = None
    if pending is not None:
        prompt, item, module = pending
        pending_out = s.PendingPromptOut(
            id=prompt.id, kind=prompt.kind, sent_at=prompt.last_sent_at or prompt.sent_at,
            item=_item_ref(item, module) if item is not None else None)
    return s.LearnerDetail(
        **_learner_fields(learner, site, cohort, reveal_phones), timezone=learner.timezone,
        status_reason=learner.status_reason, opted_out_at=learner.opted_out_at, answers=answered,
        correct=int(correct or 0), pending_prompt=pending_out, next_due=cards[0][0].due if cards else None,
        cards=[s.CardOut(item=_item_ref(item, module), due=card.due, state=card.state, reps=card.reps,
                         lapses=card.lapses, last_review=card.last_review) for card, item, module in cards])


# ---- sessions ------------------------------------------------------------------------------

def _session_query():
    return select(TrainingSession, Cohort, Site, Module) \
        .join(Cohort, Cohort.id == TrainingSession.cohort_id).join(Site, Site.id == Cohort.site_id).join(Module, Module.id == TrainingSession.module_id)


def _sessions_out(db: Session, rows) -> list[s.SessionOut]:
    ids = [row[0].id for row in rows] or [-1]
    answers = {sid: (n, c) for sid, n, c in db.exec(
        select(Answer.training_session_id, func.count(Answer.id), _count_true(Answer.correct))
        .where(Answer.training_session_id.in_(ids)).group_by(Answer.training_session_id))}
    ratings = {sid: (n, total) for sid, n, total in db.exec(
        select(Feedback.training_session_id, func.count(Feedback.rating),
               func.coalesce(func.sum(Feedback.rating), 0))
        .where(Feedback.training_session_id.in_(ids)).group_by(Feedback.training_session_id))}
    out = []
    for session, cohort, site, module in rows:
        n_answers, n_correct = answers.get(session.id, (0, 0))
        n_ratings, rating_sum = ratings.get(session.id, (0, 0))
        out.append(s.SessionOut(
            id=session.id, held_at=session.held_at, created_at=session.created_at,
            created_by=session.created_by,
            site=_ref(site), cohort=_ref(cohort), module=s.ModuleRef(id=module.id, key=module.key),
            module_key=module.key, answers=n_answers, correct=int(n_correct), ratings=n_ratings,
            average_rating=round(rating_sum / n_ratings, 2) if n_ratings else None))
    return out


def list_sessions(*, db: Session, site_ids, q: s.SessionQuery) -> s.SessionPage:
    query = in_sites(_session_query(), Cohort.site_id, site_ids)
    if q.site_id is not None:
        query = query.where(Cohort.site_id == q.site_id)
    if q.cohort_id is not None:
        query = query.where(TrainingSession.cohort_id == q.cohort_id)
    if q.since is not None:
        query = query.where(TrainingSession.held_at >= q.since)
    rows, cursor = _keyset(db, query, TrainingSession.id, q)
    return s.SessionPage(data=_sessions_out(db, rows), next_cursor=cursor)


def session_out(*, db: Session, session_id: int) -> s.SessionOut:
    return _sessions_out(db, db.exec(_session_query().where(TrainingSession.id == session_id)).all())[0]


# ---- answers and feedback ------------------------------------------------------------------

def list_answers(*, db: Session, site_ids, q: s.AnswerQuery) -> s.AnswerPage:
    query = select(Answer, Learner, Item, Module).join(Learner, Learner.id == Answer.learner_id) \
        .join(Item, Item.id == Answer.item_id).join(Module, Module.id == Item.module_id)
    query = in_sites(query, Learner.site_id, site_ids)
    if q.site_id is not None:
        query = query.where(Learner.site_id == q.site_id)
    if q.cohort_id is not None:
        query = query.where(Learner.cohort_id == q.cohort_id)
    if q.learner_id is not None:
        query = query.where(Answer.learner_id == q.learner_id)
    if q.session_id is not None:
        query = query.where(Answer.training_session_id == q.session_id)
    if q.since is not None:
        query = query.where(Answer.answered_at >= q.since)
    rows, cursor = _keyset(db, query, Answer.id, q)
    return s.AnswerPage(next_cursor=cursor, data=[s.AnswerOut(
        id=a.id, learner=_ref(learner), site_id=learner.site_id, item=_item_ref(item, module),
        session_id=a.training_session_id, kind=a.kind, raw=a.raw, choice=a.choice, correct=a.correct,
        channel=a.channel, answered_at=a.answered_at) for a, learner, item, module in rows])


def list_feedback(*, db: Session, site_ids, q: s.FeedbackQuery) -> s.FeedbackPage:
    """Feedback with its session's cohort (the learner's own cohort when it has no session),
    as the dashboard's feedback page reads it."""
    query = feedback_query([Feedback, Learner, Site, TrainingSession, Cohort, Module], site_ids=site_ids,
                           f=FeedbackFilter(site_id=q.site_id, cohort_id=q.cohort_id, learner_id=q.learner_id,
                                            session_id=q.session_id, flagged=q.flagged, since=q.since))
    rows, cursor = _keyset(db, query, Feedback.id, q)
    return s.FeedbackPage(next_cursor=cursor, data=[s.FeedbackOut(
        id=f.id, learner=_ref(learner), site=_ref(site), session_id=f.training_session_id, cohort=_ref(c),
        module_key=module.key if module is not None else None, rating=f.rating, comment=f.comment,
        flagged=f.flagged, testimonial=f.testimonial, consent_at=f.consent_at, reviewed_at=f.reviewed_at,
        created_at=f.created_at, updated_at=f.updated_at) for f, learner, site, _session, c, module in rows])

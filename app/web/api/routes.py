"""API views: thin adapters from ``@operation`` to ``queries`` and the domain functions.

Anything that names an object outside the caller's sites (a path id, a ``site_id`` or
``cohort_id`` filter, a body field) answers 404 exactly as a missing one would, so a
supervisor cannot learn that another site's learner exists.
"""
from __future__ import annotations

from flask import url_for
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from app.clock import get_clock
from app.db import get_db
from app.learning.sessions import SessionError, complete_session
from app.models import Module
from app.web.api import bp, queries
from app.web.api import schemas as s
from app.web.api.auth import current_user, reveals_phones, site_scope
from app.web.api.errors import ApiError, not_found
from app.web.api.openapi import add_helper_routes, build_document, operation

FILTERS = {"site_id": queries.visible_site, "cohort_id": queries.visible_cohort,
           "learner_id": queries.visible_learner, "session_id": queries.visible_session}


def _check_filters(q) -> None:
    """404 when a filter names an object the caller cannot see (or that does not exist)."""
    for name, find in FILTERS.items():
        value = getattr(q, name, None)
        if value is not None and find(db=get_db(), site_ids=site_scope(), **{name: value}) is None:
            raise not_found(f"No {name.removesuffix('_id')} {value} among your sites.")


@bp.after_request
def no_store(response):
    """Learner data must not linger in shared caches or proxies."""
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@operation("GET", "/openapi.json", response=None, public=True)
def openapi_document():
    """This document (OpenAPI 3.1), generated from the code that serves the API."""
    return build_document()


@operation("GET", "/sites", response=s.SitePage, query=s.SiteQuery)
def sites(query: s.SiteQuery):
    """Sites you can see: all for admins, your own for trainers and supervisors."""
    return queries.list_sites(db=get_db(), site_ids=site_scope(), q=query)


@operation("GET", "/cohorts", response=s.CohortPage, query=s.CohortQuery)
def cohorts(query: s.CohortQuery):
    """Cohorts of your sites, with how many learners each has."""
    _check_filters(query)
    return queries.list_cohorts(db=get_db(), site_ids=site_scope(), q=query)


@operation("GET", "/learners", response=s.LearnerPage, query=s.LearnerQuery)
def learners(query: s.LearnerQuery):
    """Learners of your sites. Phone numbers are masked except for admins."""
    _check_filters(query)
    return queries.list_learners(db=get_db(), site_ids=site_scope(), q=query, reveal_phones=reveals_phones())


@operation("GET", "/learners/<learner_id>", response=s.LearnerDetail)
def learner(learner_id: int):
    """One learner: their cards and when each is next due, the pending prompt, answer totals."""
    db = get_db()
    found = queries.visible_learner(db=db, site_ids=site_scope(), learner_id=learner_id)
    if found is None:
        raise not_found(f"No learner {learner_id} among your sites.")
    return queries.learner_detail(db=db, learner=found, reveal_phones=reveals_phones())


@operation("GET", "/sessions", response=s.SessionPage, query=s.SessionQuery)
def sessions(query: s.SessionQuery):
    """Classroom sessions held by your sites' cohorts, with quiz accuracy and average rating."""
    _check_filters(query)
    return queries.list_sessions(db=get_db(), site_ids=site_scope(), q=query)


@operation("GET", "/sessions/<session_id>", response=s.SessionOut)
def session(session_id: int):
    """One classroom session with its quiz accuracy and average rating."""
    db = get_db()
    if queries.visible_session(db=db, site_ids=site_scope(), session_id=session_id) is None:
        raise not_found(f"No session {session_id} among your sites.")
    return queries.session_out(db=db, session_id=session_id)


@operation("POST", "/sessions", response=s.SessionCreated, status=201, body=s.SessionCreate,
           roles=("trainer", "admin"))
def create_session(body: s.SessionCreate):
    """Mark a classroom session as held and queue its post-session quiz (trainers and admins).

    The cohort must be one of yours (404 otherwise) and the module must exist (404). A
    session in the future, one already recorded for the cohort, module and time, or a
    retired module is refused with 422 and the reason.
    """
    db = get_db()
    cohort = queries.visible_cohort(db=db, site_ids=site_scope(), cohort_id=body.cohort_id)
    if cohort is None:
        raise not_found(f"No cohort {body.cohort_id} among your sites.")
    module = db.exec(select(Module).where(Module.key == body.module_key)).first()
    if module is None:
        raise not_found(f"No module '{body.module_key}'.")
    try:
        done = complete_session(db=db, cohort=cohort, module=module, held_at=body.held_at,
                                now=get_clock().now(), created_by=current_user().id)
        db.commit()
    except SessionError as exc:
        db.rollback()
        raise ApiError(422, "session_refused", str(exc)) from None
    except IntegrityError:  # the same session recorded by a concurrent request
        db.rollback()
        raise ApiError(422, "session_refused",
                       f"{cohort.name} already has {module.key} recorded at this time.") from None
    out = queries.session_out(db=db, session_id=done.session.id)
    return (s.SessionCreated(**dict(out), learners_queued=done.learners_queued),
            {"Location": url_for("api.session", session_id=done.session.id)})


@operation("GET", "/answers", response=s.AnswerPage, query=s.AnswerQuery)
def answers(query: s.AnswerQuery):
    """Quiz and review answers from your sites' learners, each with its question and verdict."""
    _check_filters(query)
    return queries.list_answers(db=get_db(), site_ids=site_scope(), q=query)


@operation("GET", "/feedback", response=s.FeedbackPage, query=s.FeedbackQuery)
def feedback(query: s.FeedbackQuery):
    """Ratings (1-5) and comments from your sites' learners about their sessions."""
    _check_filters(query)
    return queries.list_feedback(db=get_db(), site_ids=site_scope(), q=query)


add_helper_routes()

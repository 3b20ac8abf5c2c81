"""What learners said: ratings and comments to review, follow up and (with consent) quote.

One entry per learner and session holds both the rating and the comment. Low ratings and
every comment arrive ``flagged`` (the engine sets it); a supervisor removes the flag once
followed up, or flags an entry by hand. A comment becomes a testimonial only with the
learner's consent recorded (``consent_at``), and leaves the bank if consent is withdrawn.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from app.learning.feedback import LOW_RATING
from app.models import Cohort, Feedback, Learner, Module, Site, TrainingSession
from app.reports.queries import in_sites

PAGE_SIZE = 50


class FeedbackError(ValueError):
    """The change cannot be made; the message is for the supervisor."""


@dataclass
class FeedbackRow:
    feedback: Feedback
    learner: Learner
    site: Site
    session: TrainingSession | None
    cohort: Cohort | None
    module: Module | None

    @property
    def low(self) -> bool:
        return self.feedback.rating is not None and self.feedback.rating <= LOW_RATING


@dataclass
class FeedbackFilter:
    """What the review page narrows to; every field optional."""

    site_id: int | None = None
    cohort_id: int | None = None
    session_id: int | None = None
    rating: int | None = None
    low: bool = False
    comments: bool = False
    flagged: bool | None = None  # True: needing follow-up only; False: followed up only
    learner_id: int | None = None
    since: datetime | None = None  # entries with a part (rating or comment) received since then


def feedback_query(columns, *, site_ids, f: FeedbackFilter):
    """``columns`` of the feedback in scope that ``f`` selects, with its learner, site and
    session (the learner's own cohort when the feedback came from no session) joined in.
    The one place feedback is narrowed: the dashboard, the reports and the API use it."""
    session_cohort = func.coalesce(TrainingSession.cohort_id, Learner.cohort_id)
    query = select(*columns).select_from(Feedback).join(Learner, Learner.id == Feedback.learner_id) \
        .join(Site, Site.id == Learner.site_id) \
        .outerjoin(TrainingSession, TrainingSession.id == Feedback.training_session_id) \
        .outerjoin(Cohort, Cohort.id == session_cohort) \
        .outerjoin(Module, Module.id == TrainingSession.module_id)
    query = in_sites(query, Learner.site_id, site_ids)
    if f.site_id is not None:
        query = query.where(Learner.site_id == f.site_id)
    if f.cohort_id is not None:
        query = query.where(session_cohort == f.cohort_id)
    if f.session_id is not None:
        query = query.where(Feedback.training_session_id == f.session_id)
    if f.rating is not None:
        query = query.where(Feedback.rating == f.rating)
    if f.low:
        query = query.where(Feedback.rating <= LOW_RATING)
    if f.comments:
        query = query.where(Feedback.comment.is_not(None))
    if f.flagged is not None:
        query = query.where(Feedback.flagged == f.flagged)
    if f.learner_id is not None:
        query = query.where(Feedback.learner_id == f.learner_id)
    if f.since is not None:
        query = query.where(Feedback.updated_at >= f.since)
    return query


def list_feedback(*, db: Session, site_ids: set[int] | None, filters: FeedbackFilter | None = None,
                  page: int = 1, page_size: int = PAGE_SIZE) -> tuple[list[FeedbackRow], int]:
    """One page of feedback, the most recently added to first, and how many match in all."""
    f = filters or FeedbackFilter()
    total = db.exec(feedback_query([func.count(Feedback.id)], site_ids=site_ids, f=f)).one()
    query = feedback_query([Feedback, Learner, Site, TrainingSession, Cohort, Module], site_ids=site_ids, f=f) \
        .order_by(Feedback.updated_at.desc(), Feedback.id.desc()) \
        .offset((max(page, 1) - 1) * page_size).limit(page_size)
    return [FeedbackRow(*row) for row in db.exec(query)], total


def flagged_count(*, db: Session, site_ids: set[int] | None) -> int:
    return db.exec(feedback_query([func.count(Feedback.id)], site_ids=site_ids, f=FeedbackFilter(flagged=True))).one()


def set_flagged(*, db: Session, feedback: Feedback, flagged: bool, now: datetime) -> None:
    """Flag an entry for follow-up, or remove the flag once followed up (recording when)."""
    feedback.flagged = flagged
    feedback.reviewed_at = None if flagged else now
    db.add(feedback)
    db.flush()


def set_testimonial(*, db: Session, feedback: Feedback, consent: bool, now: datetime,
                    consent_at: datetime | None = None) -> None:
    """Put a comment in the testimonial bank with the learner's consent, or take it out."""
    if consent:
        if not (feedback.comment or "").strip():
            raise FeedbackError("only a comment can be a testimonial")
        feedback.testimonial = True
        feedback.consent_at = consent_at or now
    else:
        feedback.testimonial, feedback.consent_at = False, None
    feedback.reviewed_at = feedback.reviewed_at or now
    db.add(feedback)
    db.flush()


def testimonials(*, db: Session, site_ids: set[int] | None, site_id: int | None = None) -> list[FeedbackRow]:
    """Comments learners agreed to have quoted, newest first."""
    query = feedback_query([Feedback, Learner, Site, TrainingSession, Cohort, Module], site_ids=site_ids,
                   f=FeedbackFilter(site_id=site_id, comments=True))
    query = query.where(Feedback.testimonial, Feedback.consent_at.is_not(None)) \
        .order_by(Feedback.created_at.desc(), Feedback.id.desc())
    return [FeedbackRow(*row) for row in db.exec(query)]

"""Who may see what. Admins see every site; trainers and supervisors only their own.

Every staff page, export and API query filters through these helpers, so the rule
"a supervisor stays inside their own sites" lives in one place.
"""
from __future__ import annotations

from sqlmodel import Session, select

from app.models import Cohort, Learner, UserSite


def visible_site_ids(*, db: Session, user) -> set[int] | None:
    """The site ids ``user`` may see, or ``None`` for all sites (admins)."""
    if user.role == "admin":
        return None
    rows = db.exec(select(UserSite.site_id).where(UserSite.user_id == user.id)).all()
    return set(rows)


def can_see_site(*, db: Session, user, site_id: int | None) -> bool:
    allowed = visible_site_ids(db=db, user=user)
    return allowed is None or site_id in allowed


def scope_to_sites(query, site_column, *, db: Session, user):
    """``query`` restricted to the user's sites (unchanged for admins)."""
    allowed = visible_site_ids(db=db, user=user)
    if allowed is None:
        return query
    return query.where(site_column.in_(allowed or {-1}))


def learner_visible(*, db: Session, user, learner: Learner) -> bool:
    return can_see_site(db=db, user=user, site_id=learner.site_id)


def cohort_visible(*, db: Session, user, cohort: Cohort) -> bool:
    return can_see_site(db=db, user=user, site_id=cohort.site_id)

"""A programme's public impact page: aggregate numbers and consented testimonials, nothing
that names or reaches a person.

Off unless an admin turns it on (``impact_page.enabled``). Every count of people is
suppressed under ``SMALL`` (shown as "fewer than 5"): a small number next to a site's name
can point at one person. Testimonials are the testimonial bank's (``reports.feedback``):
comments a learner agreed to have quoted, with the consent recorded by staff, and gone
from the page the moment it is withdrawn; the text alone, never who wrote it.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, select

from app import languages
from app.journeys import milestones
from app.journeys.steps import in_work_or_study
from app.models import Feedback, ImpactPage, JourneyStep, Learner, Site

SMALL = 5
TESTIMONIALS_MAX = 12
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")


def shown(count: int) -> int | None:
    """The count, or None when it is too small to show (1 to SMALL - 1)."""
    return None if 0 < count < SMALL else count


@dataclass
class Figures:
    site: Site
    since: date | None
    enrolled: int | None
    graduated: int | None
    in_work: int | None
    milestones: list[tuple[milestones.Definition, int | None]] = field(default_factory=list)
    testimonials: list[str] = field(default_factory=list)


def figures(db: Session, site: Site) -> Figures:
    ids = {lid: created for lid, created in
           db.exec(select(Learner.id, Learner.created_at).where(Learner.site_id == site.id)).all()}
    steps = defaultdict(list)
    for step in db.exec(select(JourneyStep).where(JourneyStep.learner_id.in_(list(ids) or [-1]))
                        .order_by(JourneyStep.starts_on, JourneyStep.id)).all():
        steps[step.learner_id].append(step)
    graduates = [lid for lid, s in steps.items() if any(x.stage == "graduated" for x in s)]
    reached = milestones.counts(db, set(ids))
    quotes = db.exec(select(Feedback.comment).join(Learner, Learner.id == Feedback.learner_id)
                     .where(Learner.site_id == site.id, Feedback.testimonial, Feedback.consent_at.is_not(None),
                            Feedback.comment.is_not(None))
                     .order_by(Feedback.consent_at.desc(), Feedback.id.desc()).limit(TESTIMONIALS_MAX)).all()
    return Figures(site=site, since=min(ids.values()).date() if ids else None, enrolled=shown(len(ids)),
                   graduated=shown(len(graduates)), in_work=shown(sum(in_work_or_study(steps[g]) for g in graduates)),
                   milestones=[(d, shown(len(reached.get(d.key, ())))) for d in milestones.definitions(db, site.id)],
                   testimonials=[q.strip() for q in quotes if q and q.strip()])


def page_by_slug(db: Session, slug: str) -> ImpactPage | None:
    """The enabled page at ``slug``; None for an unknown or a disabled one (the same 404)."""
    page = db.exec(select(ImpactPage).where(ImpactPage.slug == slug)).first()
    return page if page is not None and page.enabled else None


def page_languages(page: ImpactPage) -> list[str]:
    """The page's languages, the default first; empty setting: every language Saathi speaks."""
    known = list(languages.current())
    chosen = [c.strip() for c in (page.languages or "").split(",") if c.strip() in known]
    return chosen or known


def configure(db: Session, *, site: Site, enabled: bool, slug: str, langs: list[str], user_id: int | None,
              now: datetime) -> ImpactPage:
    """Turn a site's page on or off and set its address and languages (admins)."""
    slug = slug.strip().lower()
    if not SLUG.match(slug):
        raise ValueError("slug")
    taken = db.exec(select(ImpactPage).where(ImpactPage.slug == slug, ImpactPage.site_id != site.id)).first()
    if taken is not None:
        raise ValueError("taken")
    page = db.get(ImpactPage, site.id) or ImpactPage(site_id=site.id, slug=slug)
    page.enabled, page.slug = enabled, slug
    page.languages = ",".join(c for c in langs if c in languages.current())
    page.updated_by, page.updated_at = user_id, now
    db.add(page)
    db.flush()
    return page


def as_json(f: Figures, *, lang: str, title) -> dict:
    """The page's numbers for a website to embed: a suppressed count is null with ``fewer_than``."""

    def number(value):
        return {"value": value, "fewer_than": SMALL if value is None else None}

    return {"programme": f.site.name, "language": lang, "since": f.since.isoformat() if f.since else None,
            "enrolled": number(f.enrolled), "graduated": number(f.graduated),
            "in_work_education_or_practice": number(f.in_work),
            "milestones": [{"key": d.key, "title": title(d), **number(n)} for d, n in f.milestones],
            "testimonials": f.testimonials}

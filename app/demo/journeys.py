"""The demo's journeys: Hamar's job seekers a year on, against NAV's 80 % target.

Recorded through ``record_step`` as a supervisor would, dated back from ``now``; a
learner who already has a journey is left alone, so running the demo twice adds nothing.
Beside them: skills milestones (the built-in ones and Hamar's own driving licence),
a testimonial with its consent, and Hamar's public impact page, turned on.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from app.journeys import impact, milestones
from app.journeys.steps import record_step
from app.journeys.targets import set_target
from app.models import Feedback, ImpactPage, JourneyStep, Learner, Site
from app.reports.feedback import set_testimonial

# phone: (days ago graduated, [(stage, kind, days after graduating, note)])
STORIES = {
    "+4792000101": (240, [("placement", "trial", 20, "Kitchen assistant"),
                          ("outcome", "contract", 110, "Permanent 80 % position")]),
    "+4792000102": (240, [("placement", "practice", 30, "Warehouse"), ("outcome", "new_job", 150, "Forklift driver")]),
    "+4792000103": (240, [("outcome", "education", 60, "Health worker course")]),
    "+4792000104": (240, [("placement", "internship", 40, "Bike workshop")]),
    "+4792000105": (200, [("outcome", "new_job", 90, "Cleaner, Sykehuset Innlandet")]),
    "+4792000106": (240, [("outcome", "looking", 180, "Applying for drivers' jobs")]),
    "+4792000107": (60, []),
}
TARGET_SITE = "Hamar Læringssenter"
# Employers that are no Saathi site, by name (the placements above, in order).
EMPLOYERS = {"+4792000101": "Hamar Bykjøkken", "+4792000102": "Mjøs Lager AS"}
# phone: milestones reached (days ago), and one still asked
MILESTONES = {"+4792000101": {"cv": 200, "bank": 180, "interview": 150, "licence": 90},
              "+4792000102": {"cv": 210, "interview": 170}, "+4792000103": {"cv": 190, "booking": 120},
              "+4792000104": {"cv": 160, "bank": 100}, "+4792000106": {"cv": 150}}
ASKED = {"+4792000107": "cv"}
OWN_MILESTONE = ("licence", "Førerkort tatt", "Har du tatt førerkort?")
TESTIMONIAL = ("+4792000101", "Jeg lærte å skrive CV og fikk fast jobb på kjøkkenet. Takk!")


def play(db: Session, *, now: datetime) -> int:
    """Record the stories; returns how many learners got a journey."""
    played = 0
    for phone, (ago, steps) in STORIES.items():
        learner = db.exec(select(Learner).where(Learner.phone == phone)).first()
        if learner is None or db.exec(select(JourneyStep.id).where(JourneyStep.learner_id == learner.id)).first():
            continue
        graduated = (now - timedelta(days=ago)).date()
        record_step(db=db, learner=learner, stage="enrolled", starts_on=graduated - timedelta(days=90), now=now)
        record_step(db=db, learner=learner, stage="graduated", starts_on=graduated, now=now)
        for stage, kind, after, note in steps:
            record_step(db=db, learner=learner, stage=stage, kind=kind, starts_on=graduated + timedelta(days=after),
                        note=note, now=now, employer=EMPLOYERS.get(phone) if stage == "placement" else None)
        played += 1
    site = db.exec(select(Site).where(Site.name == TARGET_SITE)).first()
    if site is not None:
        set_target(db=db, site=site, now=now, share_in_work=0.8, within_months=6, graduates_per_year=40)
        _milestones(db, site, now=now)
        _testimonial(db, now=now)
        if db.get(ImpactPage, site.id) is None:
            impact.configure(db, site=site, enabled=True, slug="hamar", langs=["nb", "en"], user_id=None, now=now)
    return played


def _milestones(db: Session, site: Site, *, now: datetime) -> None:
    if milestones.definition(db, site.id, OWN_MILESTONE[0]) is None:
        milestones.add(db, site_id=site.id, key=OWN_MILESTONE[0], title=OWN_MILESTONE[1], question=OWN_MILESTONE[2])
    for phone, reached in MILESTONES.items():
        learner = db.exec(select(Learner).where(Learner.phone == phone)).first()
        if learner is None or milestones.states(db, learner.id):
            continue
        for key, ago in reached.items():
            milestones.confirm(db, learner=learner, key=key, now=now - timedelta(days=ago), channel="sms")
    for phone, key in ASKED.items():
        learner = db.exec(select(Learner).where(Learner.phone == phone)).first()
        if learner is not None and not milestones.states(db, learner.id):
            milestones.ask(db, learner=learner, key=key, now=now)


def _testimonial(db: Session, *, now: datetime) -> None:
    """A comment the learner agreed to have quoted (consent recorded by staff)."""
    learner = db.exec(select(Learner).where(Learner.phone == TESTIMONIAL[0])).first()
    if learner is None or db.exec(select(Feedback.id).where(Feedback.learner_id == learner.id,
                                                            Feedback.testimonial)).first():
        return
    row = Feedback(learner_id=learner.id, comment=TESTIMONIAL[1], created_at=now - timedelta(days=100),
                   updated_at=now - timedelta(days=100))
    db.add(row)
    db.flush()
    set_testimonial(db=db, feedback=row, consent=True, now=now, consent_at=now - timedelta(days=95))

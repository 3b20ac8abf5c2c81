"""The demo's journeys: Hamar's job seekers a year on, against NAV's 80 % target.

Recorded through ``record_step`` as a supervisor would, dated back from ``now``; a
learner who already has a journey is left alone, so running the demo twice adds nothing.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from app.journeys.steps import record_step
from app.journeys.targets import set_target
from app.models import JourneyStep, Learner, Site

# phone: (days ago graduated, [(stage, kind, days after graduating, note)])
STORIES = {
    "+4792000101": (240, [("placement", "trial", 20, "Kitchen assistant, Hamar hotel"),
                          ("outcome", "contract", 110, "Permanent 80 % position")]),
    "+4792000102": (240, [("placement", "practice", 30, "Warehouse"), ("outcome", "new_job", 150, "Forklift driver")]),
    "+4792000103": (240, [("outcome", "education", 60, "Health worker course")]),
    "+4792000104": (240, [("placement", "internship", 40, "Bike workshop")]),
    "+4792000106": (240, [("outcome", "looking", 180, "Applying for drivers' jobs")]),
    "+4792000107": (60, []),
}
TARGET_SITE = "Hamar Læringssenter"


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
                        note=note, now=now)
        played += 1
    site = db.exec(select(Site).where(Site.name == TARGET_SITE)).first()
    if site is not None:
        set_target(db=db, site=site, now=now, share_in_work=0.8, within_months=6, graduates_per_year=40)
    return played

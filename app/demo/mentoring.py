"""The demo's mentoring: Hamar's job seekers paired with mentors of their profession.

Sammen om en jobb's shape in small: mentors from local employers, mentees (some of them
learners of the jobbklar cohort), pairs in every state: active with meetings logged,
one gone quiet (the follow-up pass nudges it), one introduced, one proposed, one closed
with its outcome and one closed waiting for it, and a declined suggestion. Written
through the domain functions, dated back from ``now``; a programme that has mentors
already is left alone, so a second ``saathi demo`` adds nothing.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from app.mentoring import pairs
from app.mentoring.dashboard import programme
from app.mentoring.people import enrol_mentee, enrol_mentor, mentee_from_learner
from app.models import Learner, Mentor, Site

HAMAR = "Hamar Læringssenter"
PUNE = "Pune Hinjewadi"
# name, phone, profession, sector, languages, employer, capacity
MENTORS = {
    HAMAR: [("Erik Solberg", "+4792000901", "Engineer", "Construction", "norwegian, english", "Veidekke", 2),
            ("Hilde Brekke", "+4792000902", "Sykepleier", "Health", "norwegian, arabic", "Sykehuset Innlandet", 1),
            ("Tor Aasen", "+4792000903", "Cook", "Hospitality", "norwegian, english", "Scandic Hamar", 1),
            ("Maria Lien", "+4792000904", "Accountant", "Finance", "norwegian, ukrainian", "SpareBank 1", 1),
            ("Ola Moe", "+4792000905", "Architect", "Construction", "norwegian", "Hamar kommune", 1)],
    PUNE: [("Rohit Joshi", "+919800000901", "Electrician", "Facilities", "marathi, hindi", "Hinjewadi Tech Park", 2)],
}
# name, learner phone (or None), phone, profession, education, languages, goals
MENTEES = {
    HAMAR: [("Tesfaye Bekele", "+4792000102", None, "Engineer ", "BSc civil engineering, Addis Ababa",
             "tigrinya, english", "Norwegian approval of my degree; a first site job"),
            ("Olena Kovalenko", "+4792000103", None, "nurse", "Nursing diploma, Kyiv", "ukrainian, norwegian",
             "Authorisation as a nurse"),
            ("Hassan Ali", "+4792000104", None, "Cook", "Chef school, Aleppo", "arabic, english", "Kitchen job"),
            ("Yusuf Haidari", None, "+4792000911", "Accountant", "Bachelor in economics", "dari, english",
             "Learn Norwegian accounting rules"),
            ("Rahel Tesfom", None, "+4792000912", "Architect", "MSc architecture", "tigrinya, english",
             "A portfolio for Norwegian firms"),
            ("Abdi Warsame", None, "+4792000913", "Engineer", "Electrical engineering", "somali, english",
             "Work as an electrical engineer"),
            ("Svitlana Marchenko", None, "+4792000914", "Engineer", "Mechanical engineering", "ukrainian",
             "Any engineering job")],
    PUNE: [("Sunil More", None, "+919800000911", "Electrician", "ITI electrician", "marathi",
            "Licence and a maintenance job")],
}


def _mentor(db, site, name) -> Mentor:
    return db.exec(select(Mentor).where(Mentor.site_id == site.id, Mentor.name == name)).one()


def play(db: Session, *, now: datetime) -> int:
    """Enrol the mentors and mentees and run their pairs; returns how many pairs were made."""
    made = 0
    for site_name in (HAMAR, PUNE):
        site = db.exec(select(Site).where(Site.name == site_name)).first()
        if site is None or db.exec(select(Mentor.id).where(Mentor.site_id == site.id)).first():
            continue
        lang = "nb" if site.country == "NO" else "mr"
        for name, phone, profession, sector, languages, employer, capacity in MENTORS[site_name]:
            enrol_mentor(db, site=site, name=name, phone=phone, profession=profession, sector=sector,
                         region=site_name.split()[0], languages=languages, language=lang, capacity=capacity,
                         employer=employer, now=now - timedelta(days=300))
        mentees = {}
        for name, learner_phone, phone, profession, education, languages, goals in MENTEES[site_name]:
            learner = db.exec(select(Learner).where(Learner.phone == learner_phone)).first() if learner_phone else None
            fields = {"education": education, "languages": languages, "goals": goals, "region": site_name.split()[0]}
            if learner is not None:
                mentees[name] = mentee_from_learner(db, learner=learner, profession=profession,
                                                    now=now - timedelta(days=250), **fields)
            else:
                mentees[name] = enrol_mentee(db, site=site, name=name, phone=phone, profession=profession,
                                             language=lang if site.country != "NO" else "en",
                                             now=now - timedelta(days=120), **fields)
        made += _pairs(db, site, mentees, now)
        target = programme(db, site.id)
        target.pairs_per_year, target.enrol_token = (150, "demo-hamar") if site.country == "NO" else (20, "demo-pune")
        db.add(target)
    db.flush()
    return made


def _run(db, site, mentee, mentor_name, now, *, started_days_ago=None, introduced_days_ago=None,
         meetings=(), close=False, outcome=None):
    mentor = _mentor(db, site, mentor_name)
    start = now - timedelta(days=started_days_ago or introduced_days_ago or 0)
    pair = pairs.propose(db, mentee=mentee, mentor=mentor, by=None, now=start - timedelta(days=10))
    if introduced_days_ago is not None or started_days_ago is not None:
        day = (now - timedelta(days=introduced_days_ago or started_days_ago + 3)).date()
        pairs.introduce(db, pair=pair, on=day, today=now.date())
    if started_days_ago is not None:
        pairs.confirm(db, pair=pair, starts_on=start.date(), goals=mentee.goals)
    for days_ago, discussed, next_step in meetings:
        pairs.log_meeting(db, pair=pair, held_on=(now - timedelta(days=days_ago)).date(), discussed=discussed,
                          next_step=next_step, by=None, today=now.date(), now=now)
    if close:
        pair.status, pair.closed_at = "closed", now - timedelta(days=2)
        db.add(pair)
        if outcome is not None:
            pairs.record_outcome(db, pair=pair, job=outcome[0], in_field=outcome[1], note=outcome[2])
    return pair


def _pairs(db, site, mentees, now) -> int:
    if site.country != "NO":
        _run(db, site, mentees["Sunil More"], "Rohit Joshi", now, started_days_ago=30,
             meetings=[(25, "Licence paperwork", "Book the exam"), (9, "Mock interview", "Apply at the tech park")])
        return 1
    _run(db, site, mentees["Tesfaye Bekele"], "Erik Solberg", now, started_days_ago=190, close=True,
         meetings=[(180, "Degree approval (NOKUT)", "Send the papers"), (120, "Site visit", "Apply for trainee post"),
                   (60, "Interview practice", "Interview at Veidekke")],
         outcome=(True, True, "Trainee site engineer"))
    _run(db, site, mentees["Olena Kovalenko"], "Hilde Brekke", now, started_days_ago=75,
         meetings=[(70, "Authorisation steps", "Norwegian B2 course"), (40, "Hospital visit", "Apply as assistant"),
                   (10, "Job application", "Interview next week")])
    _run(db, site, mentees["Hassan Ali"], "Tor Aasen", now, started_days_ago=60,
         meetings=[(55, "Norwegian kitchen hygiene rules", "Food safety course")])  # quiet for weeks: nudged
    _run(db, site, mentees["Yusuf Haidari"], "Maria Lien", now, started_days_ago=200, close=True,
         meetings=[(190, "Accounting law", "Course at the learning centre")])  # outcome still to record
    _run(db, site, mentees["Rahel Tesfom"], "Ola Moe", now, introduced_days_ago=3)
    pairs.decline(db, mentee=mentees["Abdi Warsame"], mentor_id=_mentor(db, site, "Ola Moe").id,
                  reason="Architect, not an engineer", by=None, now=now - timedelta(days=5))
    _run(db, site, mentees["Abdi Warsame"], "Erik Solberg", now)  # proposed, waiting for the introduction
    return 6

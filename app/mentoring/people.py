"""Enrolling mentors and mentees: by a public form, by staff, or from an existing learner.

Every path goes through ``enrol_mentor`` / ``enrol_mentee``, so a profession is written
one way (``professions.normalise``) and a phone number in E.164 whichever door it came in.
"""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from app.i18n import N_, Explained
from app.languages import LANGUAGES
from app.mentoring.professions import normalise, normalise_list
from app.models import Learner, Mentee, Mentor, Site
from app.people.phones import PhoneError, normalize_phone


class MentoringError(Explained):
    pass


def _contact(site: Site, phone: str | None, email: str | None) -> tuple[str | None, str | None]:
    phone = (phone or "").strip() or None
    email = (email or "").strip().lower() or None
    if phone is None and email is None:
        raise MentoringError(N_("Give a phone number or an e-mail address."))
    if phone is not None:
        try:
            phone = normalize_phone(phone, site.country)
        except PhoneError as exc:
            raise MentoringError(exc.msgid, **exc.params) from None
    if email is not None and ("@" not in email or " " in email or len(email) > 254):
        raise MentoringError(N_("'{raw}' is not an e-mail address"), raw=email)
    return phone, email


def _language(code: str) -> str:
    if code not in LANGUAGES:
        raise MentoringError(N_("unknown language '{value}'; Saathi speaks {codes}"), value=code,
                             codes=", ".join(sorted(LANGUAGES)))
    return code


def _profession(text: str) -> str:
    value = normalise(text)
    if not value:
        raise MentoringError(N_("Say which profession."))
    return value


def enrol_mentor(db: Session, *, site: Site, name: str, profession: str, phone: str | None = None,
                 email: str | None = None, sector: str = "", region: str = "", languages: str = "",
                 language: str = "en", capacity: int = 1, employer: str = "", consent: bool = True,
                 now: datetime) -> Mentor:
    phone, email = _contact(site, phone, email)
    if capacity < 1 or capacity > 10:
        raise MentoringError(N_("A mentor takes 1 to 10 pairs at once."))
    mentor = Mentor(site_id=site.id, name=name.strip(), phone=phone, email=email, profession=_profession(profession),
                    sector=sector.strip(), region=region.strip(), languages=normalise_list(languages),
                    language=_language(language), capacity=capacity, employer=employer.strip(),
                    consent_at=now if consent else None, created_at=now)
    db.add(mentor)
    db.flush()
    return mentor


def enrol_mentee(db: Session, *, site: Site, name: str, profession: str, phone: str | None = None,
                 email: str | None = None, education: str = "", sector: str = "", region: str = "",
                 languages: str = "", language: str = "en", goals: str = "", learner: Learner | None = None,
                 consent: bool = True, now: datetime) -> Mentee:
    if learner is not None:
        taken = db.exec(select(Mentee.id).where(Mentee.learner_id == learner.id, Mentee.active)).first()
        if taken:
            raise MentoringError(N_("This learner is already a mentee."))
        phone = phone or learner.phone
    phone, email = _contact(site, phone, email)
    mentee = Mentee(site_id=site.id, learner_id=learner.id if learner else None, name=name.strip(), phone=phone,
                    email=email, profession=_profession(profession), education=education.strip(),
                    sector=sector.strip(), region=region.strip(), languages=normalise_list(languages),
                    language=_language(language), goals=goals.strip(), consent_at=now if consent else None, created_at=now)
    db.add(mentee)
    db.flush()
    return mentee


def mentee_from_learner(db: Session, *, learner: Learner, profession: str, now: datetime, **fields) -> Mentee:
    """A learner becomes a mentee: name, number, site and language come from the learner."""
    site = db.get(Site, learner.site_id)
    return enrol_mentee(db, site=site, name=learner.name, profession=profession, learner=learner,
                        language=learner.language, now=now, **fields)

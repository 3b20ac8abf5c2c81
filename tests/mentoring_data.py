"""Mentoring rows for the web and API test worlds, made through the domain code."""
from __future__ import annotations


def seed_mentoring(db, *, andheri, oslo, now) -> dict:
    """A mentor pair in each site (Andheri's active with a meeting logged, and an e-mail to its
    mentee that failed, shown on the pair page), and a waiting mentee."""
    from datetime import timedelta

    from app.mentoring import pairs
    from app.mentoring.people import enrol_mentee, enrol_mentor
    from app.models import MentoringNotice, MentoringProgramme

    ids = {}
    for key, site, phone in (("a", andheri, "+919812340001"), ("b", oslo, "+4791230001")):
        mentor = enrol_mentor(db, site=site, name=f"Mentor {key.upper()}", profession="Engineer", phone=phone,
                              languages="arabic", region="North", capacity=2, employer="Acme", now=now)
        mentee = enrol_mentee(db, site=site, name=f"Mentee {key.upper()}", profession="engineer ",
                              email=f"mentee.{key}@saathi.test", languages="Arabic", region="North",
                              goals="A first job", now=now)
        waiting = enrol_mentee(db, site=site, name=f"Waiting {key.upper()}", profession="engineer",
                               email=f"waiting.{key}@saathi.test", now=now)
        pair = pairs.propose(db, mentee=mentee, mentor=mentor, by=None, now=now)
        pairs.confirm(db, pair=pair, starts_on=now.date() - timedelta(days=14))
        pairs.log_meeting(db, pair=pair, held_on=now.date() - timedelta(days=7), discussed="CV review",
                          next_step="Apply to two firms", by=None, today=now.date(), now=now)
        if key == "a":  # its worker stopped mid-send: at most once, so failed "unknown", not resent
            db.add(MentoringNotice(pair_id=pair.id, kind="nudge", person="mentee", key="seed", channel="email",
                                   body="-", sent_at=now, status="failed", attempts=1, error="unknown"))
        db.add(MentoringProgramme(site_id=site.id, pairs_per_year=150, enrol_token=f"open-{key}"))
        ids.update({f"mentor_{key}": mentor.id, f"mentee_{key}": mentee.id, f"waiting_{key}": waiting.id,
                    f"pair_{key}": pair.id})
    db.flush()
    return ids

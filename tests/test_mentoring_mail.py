"""Mentoring e-mail through a real SMTP server on 127.0.0.1: sent once, outside the pass.

The follow-up pass only queues an e-mail notice; ``send_queued`` claims, sends and marks it.
"""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from app.i18n import say
from app.mentoring import outmail, pairs
from app.mentoring.followup import follow_up, run_for_app
from app.mentoring.mail import ConsoleMail, MailDeferred, SmtpMail, mail_from_env, mask_email
from app.mentoring.outmail import LEASE, claim_due, send_queued
from app.mentoring.people import enrol_mentee, enrol_mentor
from app.models import Mentee, MentoringNotice
from app.people.sites import add_site
from tests.smtp_server import SmtpServer

START = date(2026, 3, 2)
NOON_OSLO = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
NUDGE_DAY = NOON_OSLO + timedelta(days=21)
FROM = "Saathi <mentoring@saathi.test>"
TO = "åse@x.test"


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def mail(smtp):
    return SmtpMail(smtp.url, FROM, timeout=5)


def seed(db, *, email="ase@x.test", language="nb"):
    oslo = add_site(db=db, name="Oslo", country="NO")
    mentor = enrol_mentor(db, site=oslo, name="Kari", profession="engineer", phone="+4791234567", language="nb",
                          now=NOON_OSLO)
    mentee = enrol_mentee(db, site=oslo, name="Åse Ødegård", profession="engineer", email=email, language=language,
                          now=NOON_OSLO)
    pair = pairs.propose(db, mentee=mentee, mentor=mentor, by=None, now=NOON_OSLO)
    pairs.confirm(db, pair=pair, starts_on=START)
    db.commit()
    return pair


def pass_(db, when=NUDGE_DAY):
    stats = follow_up(db, now=when, nudge_weeks=3)
    db.commit()
    return stats


def email_notice(db) -> MentoringNotice:
    db.expire_all()
    [row] = db.exec(select(MentoringNotice).where(MentoringNotice.channel == "email")).all()
    return row


def test_the_e_mail_arrives_with_its_sender_recipient_subject_and_utf8_body(db, smtp, mail):
    seed(db, email="ase@x.test")
    assert pass_(db).nudged == 1
    queued = email_notice(db)
    assert queued.status == "queued" and smtp.inbox.messages == []  # the pass itself sends nothing
    assert send_queued(db, mail=mail, now=NUDGE_DAY).sent == 1
    [(envelope_from, rcpts, msg)] = smtp.inbox.wait_for(1)
    assert envelope_from == "mentoring@saathi.test" and rcpts == ["ase@x.test"]
    assert msg["From"] == FROM and msg["To"] == "ase@x.test"
    assert msg["Subject"] == say("nb", "Mentoring")
    assert msg.get_content_charset() == "utf-8"
    body = msg.get_content()
    assert body.strip() == queued.body.strip() and "Åse Ødegård" in body and "Kari" in body
    assert body.strip() == say("nb", "Hello {name}, no mentoring meeting with {other} has been logged for {weeks} "
                               "weeks. Time to meet? Tell your coordinator when you have met.",
                               name="Åse Ødegård", other="Kari", weeks=3)
    row = email_notice(db)
    assert (row.status, row.attempts, row.error) == ("sent", 1, None)


def test_a_temporary_refusal_is_retried_later_with_backoff(db, smtp, mail):
    seed(db)
    smtp.inbox.refuse["ase@x.test"] = ["451 4.3.0 Mailbox busy, try later"]
    pass_(db)
    stats = send_queued(db, mail=mail, now=NUDGE_DAY)
    assert stats.deferred == 1 and stats.sent == 0
    row = email_notice(db)
    assert row.status == "queued" and row.attempts == 1 and "451" in row.error
    assert row.next_attempt_at == NUDGE_DAY + outmail.BACKOFF
    assert send_queued(db, mail=mail, now=NUDGE_DAY + timedelta(minutes=1)).sent == 0  # not due yet
    assert send_queued(db, mail=mail, now=NUDGE_DAY + outmail.BACKOFF).sent == 1
    assert len(smtp.inbox.wait_for(1)) == 1
    row = email_notice(db)
    assert (row.status, row.attempts, row.error) == ("sent", 2, None)


def test_a_permanent_refusal_fails_with_its_reason(db, smtp, mail):
    seed(db)
    smtp.inbox.refuse["ase@x.test"] = ["550 5.1.1 No such user here"] * 5
    pass_(db)
    assert send_queued(db, mail=mail, now=NUDGE_DAY).failed == 1
    row = email_notice(db)
    assert row.status == "failed" and row.error == "550 5.1.1 No such user here"
    assert send_queued(db, mail=mail, now=NUDGE_DAY + timedelta(days=1)).failed == 0  # never again
    assert smtp.inbox.messages == [] and len(smtp.inbox.refuse["ase@x.test"]) == 4


def test_temporary_failures_give_up_after_max_attempts(db, smtp, mail):
    seed(db)
    smtp.inbox.refuse["ase@x.test"] = ["421 4.4.2 Connection dropped"] * outmail.MAX_ATTEMPTS
    pass_(db)
    when = NUDGE_DAY
    for attempt in range(1, outmail.MAX_ATTEMPTS + 1):
        send_queued(db, mail=mail, now=when)
        row = email_notice(db)
        assert row.attempts == attempt
        when = row.next_attempt_at or when
    assert row.status == "failed" and "421" in row.error and smtp.inbox.messages == []


def test_an_unreachable_server_is_a_temporary_failure():
    with pytest.raises(MailDeferred):
        SmtpMail(f"smtp://127.0.0.1:{__import__('tests.smtp_server').smtp_server.free_port()}", FROM,
                 timeout=2).send("a@x.test", "s", "b")


def test_the_pass_run_twice_and_two_workers_send_one_e_mail(db, smtp, mail):
    seed(db)
    pass_(db)
    pass_(db, NUDGE_DAY + timedelta(minutes=15))  # the pass again: the notice exists, nothing new
    assert claim_due(db, now=NUDGE_DAY, limit=10) != []  # worker 1 claims it ...
    assert claim_due(db, now=NUDGE_DAY, limit=10) == []  # ... worker 2 finds nothing to take
    db.execute(MentoringNotice.__table__.update().values(status="queued"))  # hand it back
    db.commit()
    for _ in range(2):
        send_queued(db, mail=mail, now=NUDGE_DAY + timedelta(minutes=15))
    assert len(smtp.inbox.wait_for(1)) == 1 and email_notice(db).status == "sent"


def test_a_failure_between_commit_and_send_loses_nothing(app, db, smtp, mail, monkeypatch):
    seed(db)
    app.extensions["saathi.mail"] = mail

    def crash(*args, **kwargs):
        raise RuntimeError("worker killed after the pass committed")

    monkeypatch.setattr(outmail, "claim_due", crash)
    with app.app_context():
        assert run_for_app(app, now=NUDGE_DAY).nudged == 1  # the crash is logged, not raised
    assert email_notice(db).status == "queued" and smtp.inbox.messages == []
    monkeypatch.undo()
    with app.app_context():
        assert run_for_app(app, now=NUDGE_DAY + timedelta(minutes=15)).nudged == 0
        run_for_app(app, now=NUDGE_DAY + timedelta(minutes=30))
    assert len(smtp.inbox.wait_for(1)) == 1 and email_notice(db).status == "sent"


def test_a_crash_after_sending_is_never_resent_and_shows_as_unknown(db, smtp, mail, monkeypatch):
    """At most once: a ``sending`` notice whose worker died is failed after the lease, not resent."""
    seed(db)
    pass_(db)
    finish = outmail._finish

    def die_before_marking(db_, notice_id, **values):
        if values.get("status") == "sent":
            raise SystemExit("killed")
        finish(db_, notice_id, **values)

    monkeypatch.setattr(outmail, "_finish", die_before_marking)
    with pytest.raises(SystemExit):
        send_queued(db, mail=mail, now=NUDGE_DAY)
    db.rollback()
    monkeypatch.undo()
    assert len(smtp.inbox.wait_for(1)) == 1 and email_notice(db).status == "sending"
    assert send_queued(db, mail=mail, now=NUDGE_DAY + LEASE - timedelta(seconds=1)).expired == 0
    assert send_queued(db, mail=mail, now=NUDGE_DAY + LEASE + timedelta(seconds=1)).expired == 1
    row = email_notice(db)
    assert (row.status, row.error) == ("failed", "unknown")
    send_queued(db, mail=mail, now=NUDGE_DAY + timedelta(days=1))
    assert len(smtp.inbox.messages) == 1


def test_an_opt_out_after_queueing_cancels_the_e_mail(db, smtp, mail):
    pair = seed(db)
    pass_(db)
    mentee = db.get(Mentee, pair.mentee_id)
    mentee.opted_out_at = NUDGE_DAY
    db.add(mentee)
    db.commit()
    assert send_queued(db, mail=mail, now=NUDGE_DAY).cancelled == 1
    assert email_notice(db).status == "cancelled" and smtp.inbox.messages == []


def test_smtp_settings_come_from_the_environment(monkeypatch):
    monkeypatch.delenv("SAATHI_SMTP_URL", raising=False)
    assert isinstance(mail_from_env(), ConsoleMail)
    monkeypatch.setenv("SAATHI_SMTP_URL", "smtp://user%40x:s3cr%2Fet@mail.x.test:587")
    monkeypatch.setenv("SAATHI_MAIL_FROM", "saathi@x.test")
    relay = mail_from_env()
    assert (relay.host, relay.port, relay.user, relay.password, relay.starttls, relay.implicit_tls) == \
        ("mail.x.test", 587, "user@x", "s3cr/et", True, False)
    assert "s3cr" not in repr(relay)
    monkeypatch.setenv("SAATHI_SMTP_URL", "smtps://u:p@mail.x.test")
    tls = mail_from_env()
    assert (tls.port, tls.implicit_tls, tls.starttls) == (465, True, False)
    monkeypatch.setenv("SAATHI_SMTP_URL", "smtp://127.0.0.1:25")
    assert mail_from_env().starttls is False
    monkeypatch.delenv("SAATHI_MAIL_FROM")
    with pytest.raises(ValueError):
        mail_from_env()
    assert mask_email("yusuf@x.test") == "y***@x.test"


def test_the_cli_sends_the_e_mail_through_the_server(app, db, smtp, tmp_path):
    """End to end: ``saathi mentoring follow-up`` in its own process, SAATHI_SMTP_URL set."""
    today = datetime.now(UTC)
    oslo = add_site(db=db, name="Oslo", country="NO")
    mentor = enrol_mentor(db, site=oslo, name="Kari", profession="engineer", phone="+4791234567", now=today)
    mentee = enrol_mentee(db, site=oslo, name="Åse", profession="engineer", email="ase@x.test", language="nb",
                          now=today)
    pair = pairs.propose(db, mentee=mentee, mentor=mentor, by=None, now=today)
    pairs.confirm(db, pair=pair, starts_on=today.date() - timedelta(days=22))
    db.commit()
    env = {**os.environ, "SAATHI_DATABASE_URL": app.config["DATABASE_URL"], "SAATHI_SMTP_URL": smtp.url,
           "SAATHI_MAIL_FROM": FROM, "SAATHI_INSTANCE_PATH": str(tmp_path)}
    saathi = Path(sys.executable).parent / "saathi"
    done = subprocess.run([str(saathi), "mentoring", "follow-up"], env=env, capture_output=True, text=True,
                          timeout=120, cwd=tmp_path, check=False)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert '"sent": 1' in done.stdout
    [(_, rcpts, msg)] = smtp.inbox.wait_for(1)
    assert rcpts == ["ase@x.test"] and msg["Subject"] == say("nb", "Mentoring") and "Åse" in msg.get_content()
    assert "ase@x.test" not in done.stderr  # addresses are logged masked


def test_a_second_worker_skips_what_the_first_is_claiming_on_postgresql(app, db):
    """Row locks: worker 2 passes over worker 1's uncommitted claim instead of waiting or taking it."""
    if not app.config["DATABASE_URL"].startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time and no row locks")
    from sqlmodel import Session

    from app.bulk import claim
    from app.db import make_engine

    seed(db)
    pass_(db)
    engine = make_engine(app.config["DATABASE_URL"])
    try:
        with Session(engine) as first, Session(engine) as second:
            due = select(MentoringNotice.id).where(MentoringNotice.status == "queued").limit(10)
            taken = first.execute(claim(MentoringNotice, due, status="sending", claimed_at=NUDGE_DAY)
                                  .returning(MentoringNotice.id)).scalars().all()
            assert len(taken) == 1  # not committed yet: the row is locked
            assert claim_due(second, now=NUDGE_DAY, limit=10) == []  # skipped, not waited for
            first.commit()
        assert email_notice(db).status == "sending"
    finally:
        engine.dispose()

"""Small builders for test data, going through the same domain code as production."""
from __future__ import annotations

from sqlmodel import select

from app.models import Cohort, Item, Learner, Module, Pack
from app.people.learners import import_learners
from app.people.sites import add_site

QUESTIONS = [
    ("never-share-pin", "A caller asks for your UPI PIN to send you money. What do you do?",
     ["Tell the PIN", "Refuse and hang up", "Ask a friend"], 2, "You never need a PIN to receive money."),
    ("otp-is-secret", "Someone says he is from the bank and asks for your OTP. What do you do?",
     ["Give the OTP", "Say nothing and hang up", "Send it by SMS"], 2, "The bank never asks for your OTP."),
    ("check-payee", "Before you pay by UPI, what do you check?",
     ["The payee name", "The weather", "Nothing"], 1, "The name shows who gets the money."),
]
HINDI = {
    "never-share-pin": ("कोई फ़ोन पर पैसे भेजने के लिए UPI PIN माँगे तो?", ["PIN बताएँ", "मना करें, फ़ोन काटें", "दोस्त से पूछें"],
                        "पैसे लेने के लिए PIN कभी नहीं चाहिए।"),
    "otp-is-secret": ("बैंक के नाम पर कोई OTP माँगे तो?", ["OTP दें", "कुछ न बताएँ, फ़ोन काटें", "SMS से भेजें"],
                      "बैंक कभी OTP नहीं माँगता।"),
    "check-payee": ("UPI से पैसे देने से पहले क्या देखें?", ["पाने वाले का नाम", "मौसम", "कुछ नहीं"],
                    "नाम बताता है कि पैसा किसे जा रहा है।"),
}


def make_module(db, *, pack_slug="digital-banking", slug="upi-safety", questions=QUESTIONS) -> Module:
    pack = db.exec(select(Pack).where(Pack.slug == pack_slug)).first()
    if pack is None:
        pack = Pack(slug=pack_slug, title={"en": "Digital banking"}, languages=["en", "hi"])
        db.add(pack)
        db.flush()
    module = Module(pack_id=pack.id, slug=slug, key=f"{pack_slug}/{slug}", title={"en": "UPI safety", "hi": "UPI सुरक्षा"},
                    greeting={"en": "Thank you for today's session on UPI safety. Reply with the number of your answer."},
                    feedback={})
    db.add(module)
    db.flush()
    for pos, (item_slug, question, options, answer, explanation) in enumerate(questions):
        hq, hopts, hexp = HINDI.get(item_slug, (question, options, explanation))
        db.add(Item(module_id=module.id, slug=item_slug, position=pos,
                    question={"en": question, "hi": hq},
                    options=[{"en": o, "hi": h} for o, h in zip(options, hopts)],
                    answer=answer, explanation={"en": explanation, "hi": hexp}))
    db.flush()
    return module


LEARNERS_CSV = """phone,name,site,language,cohort
+919876543210,Asha Devi,Andheri Mall,en,andheri-march
+919876543211,Ravi Kumar,Andheri Mall,hi,andheri-march
"""


def make_learners(db, now, csv_text: str = LEARNERS_CSV) -> list[Learner]:
    add_site(db=db, name="Andheri Mall", country="IN")
    report = import_learners(db=db, csv_text=csv_text, now=now)
    assert not report.errors, report.errors
    return list(db.exec(select(Learner).order_by(Learner.id)).all())


def held_session(db, now, csv_text: str = LEARNERS_CSV) -> list[Learner]:
    """Learners from ``csv_text`` in one cohort whose UPI-safety session was held ``now``
    (their post-session quiz queued), committed: the start of most conversation tests."""
    from app.learning.sessions import complete_session

    module = make_module(db)
    learners = make_learners(db, now, csv_text)
    complete_session(db=db, cohort=cohort(db), module=module, held_at=now, now=now)
    db.commit()
    return learners


def cohort(db, name="andheri-march") -> Cohort:
    return db.exec(select(Cohort).where(Cohort.name == name)).one()


def app_policy():
    """The current app's policy: domain code such as ``receive_sms`` takes it as an argument,
    the way the webhook passes it."""
    from flask import current_app

    from app.learning.policy import current_policy

    return current_policy(current_app)


def fit_pack_for_a_short_first_stability(db) -> None:
    """Give the (one) pack fitted FSRS weights whose stability after a right first answer is
    an hour (0.05 days), not the default's 2.3 days: a card scheduled with them shows that
    the pack's weights, not the defaults, were used. Committed."""
    from app.learning import srs

    pack = db.exec(select(Pack)).one()
    weights = list(srs.scheduler().parameters)
    weights[2] = 0.05
    pack.memory_parameters = weights
    db.add(pack)
    db.commit()


def callbacks_applied(app, fake) -> None:
    """Wait for the fake's status callbacks, then apply those that raced the commit of the
    SID they report on, as the next dispatch pass does (``delivery.apply_late_events``).

    The fake calls back at once, so a callback can reach the webhook while the sender's
    transaction that stores its SID is still open: each misses the other, and the event
    waits, stored, for the next pass. A test that reads statuses right after sending needs
    that pass's sweep, or it reads "sent" where "delivered" is on its way.
    """
    from app.scheduling.delivery import apply_late_events
    from app.scheduling.dispatcher import Dispatch

    assert fake.wait_for_callbacks()
    ctx = Dispatch.of(app)  # the settings the pass itself reads (options, SEND_MAX_ATTEMPTS, clock)
    with ctx.sessions() as db:
        apply_late_events(db, now=ctx.clock.now(), options=ctx.options, max_attempts=ctx.max_attempts)
        db.commit()

"""Who is in the demo programme, where, and which classroom sessions they sat when.

Two sites a newcomer can tell apart at a glance: a tech park in Pune (Asia/Kolkata;
housekeeping and security staff, English and Hindi, some on voice calls) and an adult
learning centre in Hamar (Europe/Oslo; newly arrived job seekers, Norwegian with some
Dutch and English). Names are made up; numbers are valid in form but fictional, and the
demo runs on the console transport, which sends nothing anywhere.

Most learners' habits (how often and how fast they reply, how well they remember) are
drawn from a seed by ``app.simulation.learner_model``; a few are written into the script
so that every demo shows the same story: keen learners for the recognition page, a
grumbler whose low ratings wait for follow-up, three opt-outs, and one comment per site
that the learner agreed to have quoted.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass


@dataclass(frozen=True)
class DemoSite:
    name: str
    country: str
    timezone: str


@dataclass(frozen=True)
class DemoLearner:
    phone: str
    name: str
    site: str
    cohort: str
    language: str
    channel: str = "sms"
    keen: bool = False  # answers nearly everything, quickly
    reluctant: bool = False  # answers now and then
    mood: int | None = None  # the rating they give (None: a usual 3-5)
    stop_after_days: int | None = None  # texts STOP this many days after their first session
    testimonial: str | None = None  # their first comment, which they agree to have quoted


@dataclass(frozen=True)
class DemoSession:
    cohort: str
    module: str
    days_ago: int | None  # None: held just now, so the worker has a quiz to send


PUNE = DemoSite("Pune Hinjewadi", "IN", "Asia/Kolkata")
HAMAR = DemoSite("Hamar Læringssenter", "NO", "Europe/Oslo")
SITES = (PUNE, HAMAR)
SESSION_HOUR = {PUNE.name: 11, HAMAR.name: 10}  # local time a classroom session ends

TRAINER = "trainer@demo.saathi"  # records the demo's sessions
# (e-mail, role, display name, sites, UI language): one sign-in per role, and a
# supervisor for each site so that each sees only their own.
STAFF = (
    ("admin@demo.saathi", "admin", "Admin", (), "en"),
    (TRAINER, "trainer", "Rohan Mehta", (PUNE.name, HAMAR.name), "en"),
    ("supervisor.pune@demo.saathi", "supervisor", "Priya Deshmukh", (PUNE.name,), "hi"),
    ("supervisor.hamar@demo.saathi", "supervisor", "Ingrid Haugen", (HAMAR.name,), "nb"),
)

_P, _H = PUNE.name, HAMAR.name
LEARNERS = (
    # Pune, housekeeping: digital banking.
    DemoLearner("+919822000101", "Asha Devi", _P, "pune-housekeeping", "hi", keen=True),
    DemoLearner("+919822000102", "Ravi Kumar", _P, "pune-housekeeping", "hi", "both"),
    DemoLearner("+919822000103", "Sunita Patil", _P, "pune-housekeeping", "en", keen=True,
                testimonial="Last week a caller asked for my OTP. I remembered Saathi's question and "
                            "put the phone down. Thank you!"),
    DemoLearner("+919822000104", "Kavita Pawar", _P, "pune-housekeeping", "hi", "voice"),
    DemoLearner("+919822000105", "Sanjay Jadhav", _P, "pune-housekeeping", "hi", stop_after_days=9),
    DemoLearner("+919822000106", "Pooja Kulkarni", _P, "pune-housekeeping", "en"),
    DemoLearner("+919822000107", "Rekha Salunkhe", _P, "pune-housekeeping", "hi", "voice"),
    DemoLearner("+919822000108", "Anil More", _P, "pune-housekeeping", "hi", reluctant=True),
    DemoLearner("+919822000109", "Farida Khan", _P, "pune-housekeeping", "en", mood=2),
    DemoLearner("+919822000110", "Lakshmi Iyer", _P, "pune-housekeeping", "en"),
    # Pune, security: customer service.
    DemoLearner("+919822000201", "Imran Shaikh", _P, "pune-security", "hi", "voice"),
    DemoLearner("+919822000202", "Vikram Chavan", _P, "pune-security", "en", keen=True),
    DemoLearner("+919822000203", "Ganesh Bhosale", _P, "pune-security", "hi"),
    DemoLearner("+919822000204", "Deepak Shinde", _P, "pune-security", "hi", stop_after_days=16),
    DemoLearner("+919822000205", "Meena Rao", _P, "pune-security", "en"),
    DemoLearner("+919822000206", "Suresh Waghmare", _P, "pune-security", "hi", reluctant=True),
    DemoLearner("+919822000207", "Nisha Deshpande", _P, "pune-security", "en"),
    DemoLearner("+919822000208", "Rahul Gaikwad", _P, "pune-security", "hi"),
    # Hamar, "jobbklar" (ready for work): communication.
    DemoLearner("+4792000101", "Amina Yusuf", _H, "hamar-jobbklar", "nb", keen=True,
                testimonial="Spørsmålene på SMS hjelper meg å huske det vi lærte. Nå tør jeg å "
                            "snakke med kundene på norsk."),
    DemoLearner("+4792000102", "Tesfaye Bekele", _H, "hamar-jobbklar", "nb"),
    DemoLearner("+4792000103", "Olena Kovalenko", _H, "hamar-jobbklar", "nb"),
    DemoLearner("+4792000104", "Hassan Ali", _H, "hamar-jobbklar", "nl"),
    DemoLearner("+4792000105", "Selam Tesfay", _H, "hamar-jobbklar", "nb", "voice"),
    DemoLearner("+4792000106", "Piotr Nowak", _H, "hamar-jobbklar", "en", mood=2),
    DemoLearner("+4792000107", "Fatima Ahmadi", _H, "hamar-jobbklar", "nb"),
    DemoLearner("+4792000108", "Mohammed Abdi", _H, "hamar-jobbklar", "nb", stop_after_days=11),
    DemoLearner("+4792000109", "Daan de Vries", _H, "hamar-jobbklar", "nl"),
    # Hamar, canteen: customer service.
    DemoLearner("+4792000201", "Kari Bakken", _H, "hamar-kantine", "nb", keen=True),
    DemoLearner("+4792000202", "Nadia Rahimi", _H, "hamar-kantine", "nb"),
    DemoLearner("+4792000203", "Ahmad Karimi", _H, "hamar-kantine", "nb", reluctant=True),
    DemoLearner("+4792000204", "Leila Osman", _H, "hamar-kantine", "nb", "both"),
    DemoLearner("+4792000205", "Jonas Lund", _H, "hamar-kantine", "nb"),
    DemoLearner("+4792000206", "Sanne Jansen", _H, "hamar-kantine", "nl"),
    DemoLearner("+4792000207", "Yonas Haile", _H, "hamar-kantine", "en"),
)

SESSIONS = (
    DemoSession("pune-housekeeping", "digital-banking/upi-safety", 41),
    DemoSession("pune-housekeeping", "digital-banking/otp-fraud", 27),
    DemoSession("pune-housekeeping", "digital-banking/booking-tickets", 13),
    DemoSession("pune-security", "customer-service/helping-visitors", 38),
    DemoSession("pune-security", "customer-service/handling-complaints", 24),
    DemoSession("pune-security", "customer-service/professional-conduct", None),
    DemoSession("hamar-jobbklar", "communication/greeting-clients", 40),
    DemoSession("hamar-jobbklar", "communication/asking-for-help", 26),
    DemoSession("hamar-jobbklar", "communication/reporting-problems", 12),
    DemoSession("hamar-kantine", "customer-service/helping-visitors", 34),
    DemoSession("hamar-kantine", "customer-service/handling-complaints", 20),
    DemoSession("hamar-kantine", "customer-service/professional-conduct", None),
)

# What learners write when asked for a comment, in their own language.
COMMENTS = {
    "en": ("Very useful, I now check the UPI ID before I pay.", "The session was a bit fast for me.",
           "Please give more examples with real phones.", "Clear explanation, good trainer.",
           "I told my family about the fake calls."),
    "hi": ("बहुत उपयोगी सत्र था, धन्यवाद।", "थोड़ा धीरे समझाइए।", "अब मैं OTP किसी को नहीं बताती।",
           "सवाल आसान भाषा में हों तो अच्छा।", "हमें और उदाहरण चाहिए।"),
    "nb": ("Nyttig kurs, takk!", "Litt for raskt tempo for meg.", "Fint med eksempler fra jobben.",
           "Jeg vil gjerne øve mer på å snakke med kunder.", "Spørsmålene var lette å forstå."),
    "nl": ("Heel nuttig, dank je wel!", "Het ging een beetje te snel.", "Graag meer voorbeelden uit de praktijk.",
           "Duidelijke uitleg van de trainer."),
}


def learners_csv(learners=LEARNERS) -> str:
    """The roster as the CSV a trainer would import (``saathi learners import``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["phone", "name", "site", "language", "cohort", "channel"])
    for l in learners:
        writer.writerow([l.phone, l.name, l.site, l.language, l.cohort, l.channel])
    return buffer.getvalue()


def cohort_names(sessions=SESSIONS) -> list[str]:
    return sorted({s.cohort for s in sessions})

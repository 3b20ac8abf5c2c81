"""Mentoring: mentors and job seekers of the same profession, paired for six months."""
from __future__ import annotations


def init_app(app) -> None:
    """Answer mentors' and mentees' texts to the learners' number (STOP, START, a reply):
    learning asks its strangers' answerers (``app.learning.strangers``), never mentoring."""
    from app.learning.strangers import STRANGERS
    from app.mentoring import inbound

    STRANGERS.register(inbound.answer)

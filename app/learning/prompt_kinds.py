"""What each kind of prompt is, in one place: the planner, the channels, the voice flow,
the reports and the simulator all ask here instead of keeping their own lists.

A kind says whether it is a question on an item (graded, moves a card), whether it comes
again when a send failed or a call ended before it (a session's quiz, a check-in) or is
simply dropped (a review: its card stays due and comes again by itself), which channels
can put it (a voice keypad, WhatsApp buttons), how a reply answers it, and the WhatsApp
template that opens it outside the 24-hour window.
"""
from __future__ import annotations

from dataclasses import dataclass

from app.i18n import N_

# How a reply answers a prompt: an option of its item, a number 1-5, free text, a number
# 1-4 about work, yes/no, or nothing (a greeting is closed once sent).
ANSWERS = ("choice", "rating", "text", "outcome", "yes_no", "none")


@dataclass(frozen=True)
class PromptKind:
    name: str
    label: str                 # as staff read it (a catalog id)
    answer: str                # one of ANSWERS
    question: bool = False     # a question on an item: graded, an Answer row, a card moves
    requeued: bool = False     # put back (not expired) after a failed send or an early end
    voice: bool = False        # can be put by a call and answered on the keypad
    choices: int = 0           # fixed numbered answers (keypad keys, WhatsApp buttons); 0: an item's own, or none
    template: str = "opener"   # the WhatsApp template kind that opens it outside the window
    #                            (checkin, milestone: their own, else the pack's opener)


KINDS: dict[str, PromptKind] = {k.name: k for k in (
    PromptKind("greeting", N_("greeting"), "none", requeued=True, template="post_session"),
    PromptKind("question", N_("question"), "choice", question=True, requeued=True, voice=True,
               template="post_session"),
    PromptKind("review", N_("review question"), "choice", question=True, voice=True),
    PromptKind("practice", N_("practice question"), "choice", question=True, voice=True),
    PromptKind("rating", N_("rating"), "rating", requeued=True, voice=True, choices=5, template="post_session"),
    PromptKind("comment", N_("comment"), "text", requeued=True, template="post_session"),
    PromptKind("checkin", N_("outcome check-in"), "outcome", requeued=True, voice=True, choices=4,
               template="checkin"),
    PromptKind("milestone", N_("milestone question"), "yes_no", requeued=True, voice=True, choices=2,
               template="milestone"),
)}

PROMPT_KINDS = tuple(KINDS)
QUESTION_KINDS = tuple(k.name for k in KINDS.values() if k.question)
REQUEUED_KINDS = tuple(k.name for k in KINDS.values() if k.requeued)
VOICE_KINDS = tuple(k.name for k in KINDS.values() if k.voice)


def of(name: str) -> PromptKind:
    return KINDS[name]


def is_question(name: str) -> bool:
    return name in KINDS and KINDS[name].question


def requeued(name: str) -> bool:
    return name in KINDS and KINDS[name].requeued


def by_voice(name: str) -> bool:
    return name in KINDS and KINDS[name].voice

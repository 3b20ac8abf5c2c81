"""The schedules a simulation compares, and the fixed ones that stand in for FSRS.

A schedule is a ``Policy`` (app/learning/policy.py): Saathi's own, with FSRS at some
desired retention, daily cap and number of reminders; or one whose ``card_scheduler``
replaces FSRS in the card update (``engine.record_review``) with a fixed rule. Everything
else (send window, cap, reminders, the post-session quiz) is the real code in every case.

Specs, as given to ``saathi simulate --schedule``:

    fsrs:0.85            FSRS at desired retention 0.85 (cap and reminders from the defaults)
    fsrs:0.85:cap=2:rem=0
    fsrs:0.95:max=14     (or fsrs:0.95:max14) FSRS, but never more than 14 days between two reviews of an item
                         (without max=, the configured SAATHI_MAX_INTERVAL_DAYS)
    fsrs:0.95:batch=3:wait=7
                         voice learners: a call of reviews alone waits until 3 questions are due, or
                         the oldest due one has waited 7 days (SAATHI_VOICE_MIN_QUESTIONS,
                         SAATHI_VOICE_BATCH_WAIT_DAYS; without them, VoiceOptions' defaults)
    fsrs:0.95:fit        FSRS refitted to the cohort's own answers as the worker does (at most weekly,
                         once the pack has enough answers; refit.py). Saathi's default.
    fixed:7              a review every 7 days, whatever the answer
    fixed:1-6-12-48      after 1, then 6, 12 and 48 days (48 repeating), whatever the answer
    leitner:1-2-4-8-16   Leitner boxes: right moves up a box, wrong back to the first
    oracle:0.005         a yardstick, not a schedule: the review that adds the most recall at the last
                         checkpoint per segment, chosen by reading each learner's memory; a day whose
                         best adds less than 0.005 items per segment is skipped (oracle.py)
    quiz-only            the post-session quiz, never a review
    none                 the classroom session alone: no SMS at all
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from app.learning.policy import Policy
from app.voice.settings import VoiceOptions

NEVER = timedelta(days=3650)
# Card.state as FSRS numbers it (score() counts 2 as learned).
LEARNING, REVIEW = 1, 2


def _state(now: datetime, days: float, state: int, **extra) -> dict:
    return {"due": (now + timedelta(days=days)).isoformat(), "state": state, **extra}


@dataclass(frozen=True)
class FixedIntervals:
    """Review after ``days[0]``, then ``days[1]`` ... days; the last interval repeats."""

    days: tuple[float, ...]

    def review(self, state: dict | None, *, correct: bool, now: datetime) -> dict:
        reps = (state or {}).get("reps", 0)
        return _state(now, self.days[min(reps, len(self.days) - 1)], REVIEW, reps=reps + 1)


@dataclass(frozen=True)
class Leitner:
    """Leitner's boxes: box k waits ``boxes[k-1]`` days; right moves up one, wrong to box 1."""

    boxes: tuple[float, ...] = (1, 2, 4, 8, 16)

    def review(self, state: dict | None, *, correct: bool, now: datetime) -> dict:
        box = (state or {}).get("box", 0)
        box = min(box + 1, len(self.boxes)) if correct else 1
        return _state(now, self.boxes[box - 1], REVIEW if box > 1 else LEARNING, box=box)


@dataclass(frozen=True)
class NoReviews:
    """The quiz is asked once, after the session, and never again."""

    def review(self, state: dict | None, *, correct: bool, now: datetime) -> dict:
        return _state(now, NEVER.days, REVIEW)


@dataclass(frozen=True)
class Schedule:
    """What a simulated programme does; ``sends`` is False for the classroom alone."""

    name: str
    label: str
    policy: Policy
    sends: bool = True
    family: str = "fsrs"  # fsrs | fixed | baseline
    voice: VoiceOptions = field(default_factory=VoiceOptions)  # voice learners' calls (batching: batch=N, wait=D)
    refit: bool = False  # FSRS refitted to the cohort's answers as they come in (refit.py)
    oracle: object | None = None  # reviews chosen by reading the learners' memories (oracle.py; fast engine)


def _days(text: str) -> tuple[float, ...]:
    try:
        days = tuple(float(d) for d in text.split("-"))
    except ValueError:
        raise ValueError(f"intervals must be days joined by '-', not {text!r}") from None
    if not days or min(days) <= 0:
        raise ValueError(f"intervals must be positive days, not {text!r}")
    return days


def _fmt(days: tuple[float, ...]) -> str:
    return "-".join(f"{d:g}" for d in days)


# key=N options: the Policy field, the name's tag and the label's words.
OPTIONS = {
    "cap": ("daily_cap", "cap", ", cap {}"),
    "rem": ("reminders", "reminders", ", reminders {}"),
    "max": ("max_interval_days", "max", ", max interval {} days"),
}
# key=N options of the voice channel: the VoiceOptions field, the name's tag and the label's words.
VOICE_OPTIONS = {
    "batch": ("min_questions", "batch", ", calls of {}+ reviews"),
    "wait": ("batch_wait", "wait", " or {} days' wait"),
}


def parse(spec: str, base: Policy) -> Schedule:
    """A ``Schedule`` from a spec (see the module docstring); ``base`` supplies the rest."""
    head, *rest = spec.strip().split(":")
    rest = [re.sub(r"^max(\d+)$", r"max=\1", o) for o in rest]  # max14 is max=14
    refit = "fit" in rest
    rest = [o for o in rest if o != "fit"]
    if refit and head != "fsrs":
        raise ValueError(f"fit refits FSRS's weights; {spec!r} is not an FSRS schedule")
    options = [o for o in rest if "=" not in o]
    if len(options) > 1:
        raise ValueError(f"too many options in {spec!r}")
    settings, voice, suffix, tail = {}, {}, "", ""
    for option in (o for o in rest if "=" in o):
        key, _, value = option.partition("=")
        if key not in OPTIONS | VOICE_OPTIONS or not value.isdigit():
            raise ValueError(f"unknown option {option!r} in {spec!r} "
                             "(use cap=N, rem=N, max=DAYS, batch=N, wait=DAYS)")
        field, short, label = (OPTIONS | VOICE_OPTIONS)[key]
        (settings if key in OPTIONS else voice)[field] = int(value)
        suffix += label.format(int(value))
        tail += f"-{short}{int(value)}"
    if not 1 <= voice.get("min_questions", 1) <= VoiceOptions.max_questions:
        raise ValueError(f"batch=N must be between 1 and {VoiceOptions.max_questions} in {spec!r}")
    if "batch_wait" in voice:
        voice["batch_wait"] = timedelta(days=voice["batch_wait"])
    voice = VoiceOptions(**voice)
    if "max_interval_days" in settings and head != "fsrs":
        raise ValueError(f"max=DAYS is FSRS's longest interval; {spec!r} is not an FSRS schedule")
    if not 1 <= settings.get("max_interval_days", 1) <= 36500:
        raise ValueError(f"max=DAYS must be between 1 and 36500 days in {spec!r}")
    policy = replace(base, **settings)
    if head == "fsrs":
        retention = float(options[0]) if options else base.desired_retention
        if not 0.5 < retention < 1:
            raise ValueError(f"desired retention must be between 0.5 and 1, not {retention}")
        if refit:
            tail, suffix = tail + "-fit", suffix + ", refitted weekly"
        return Schedule(f"fsrs-{retention:g}{tail}", f"FSRS, retention {retention:.2f}{suffix}",
                        replace(policy, desired_retention=retention), voice=voice, refit=refit)
    if head == "fixed":
        days = _days(options[0] if options else "7")
        label = f"every {_fmt(days)} days" if len(days) == 1 else f"fixed {_fmt(days)} days"
        return Schedule(f"fixed-{_fmt(days)}{tail}", label + suffix,
                        replace(policy, card_scheduler=FixedIntervals(days)), family="fixed", voice=voice)
    if head == "leitner":
        boxes = _days(options[0] if options else "1-2-4-8-16")
        return Schedule(f"leitner-{_fmt(boxes)}{tail}", f"Leitner boxes {_fmt(boxes)} days{suffix}",
                        replace(policy, card_scheduler=Leitner(boxes)), family="fixed", voice=voice)
    if head == "oracle":
        from app.simulation.oracle import Oracle

        try:
            threshold = float(options[0]) if options else 0.005
        except ValueError:
            raise ValueError(f"oracle:THRESHOLD takes items per segment, not {options[0]!r}") from None
        return Schedule(f"oracle-{threshold:g}{tail}", f"oracle (reads memory), threshold {threshold:g}{suffix}",
                        policy, family="oracle", voice=voice, oracle=Oracle(threshold))
    if head == "quiz-only":
        return Schedule(f"quiz-only{tail}", "post-session quiz, no reviews" + suffix,
                        replace(policy, card_scheduler=NoReviews()), family="baseline", voice=voice)
    if head == "none":
        return Schedule("none", "classroom only, no SMS", policy, sends=False, family="baseline")
    raise ValueError(f"unknown schedule {spec!r} (fsrs:R, fixed:D-D-D, leitner:D-D-D, oracle:T, quiz-only, none)")


# What ``saathi simulate`` compares unless told otherwise (docs/learning.md shows the run).
# Specs without cap= or rem= take the configured defaults, so the fixed schedules are
# dispatched under the same daily cap and reminders as Saathi's own.
DEFAULT_SPECS = (
    "none", "quiz-only",
    "fsrs:0.7", "fsrs:0.75", "fsrs:0.8", "fsrs:0.85", "fsrs:0.9", "fsrs:0.95",
    "fsrs:0.95:fit",  # Saathi's default: the worker refits FSRS to the cohort's answers
    "fsrs:0.95:cap=2", "fsrs:0.95:cap=3", "fsrs:0.95:rem=1", "fsrs:0.95:rem=2",
    "fsrs:0.85:cap=3:rem=1",  # the defaults before docs/learning.md
    "fixed:7", "fixed:1-6-12-48", "leitner:1-2-4-8-16",
    "fixed:7:cap=3:rem=1", "fixed:1-6-12-48:cap=3:rem=1", "leitner:1-2-4-8-16:cap=3:rem=1",
)

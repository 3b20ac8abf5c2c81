"""The learning and sending policy, read once from settings and passed to the domain code
(the simulator passes its own to compare schedules)."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from app.config import LEARNING_DEFAULTS
from app.learning import srs


@dataclass(frozen=True)
class Policy:
    desired_retention: float = LEARNING_DEFAULTS["DESIRED_RETENTION"]
    daily_cap: int = LEARNING_DEFAULTS["DAILY_CAP"]
    reminders: int = LEARNING_DEFAULTS["REMINDERS"]
    # Longest gap FSRS may leave between two reviews of an item, in days.
    max_interval_days: int = LEARNING_DEFAULTS["MAX_INTERVAL_DAYS"]
    reminder_after: timedelta = timedelta(hours=4)
    prompt_expiry: timedelta = timedelta(hours=24)
    send_start: str = "09:00"
    send_end: str = "20:00"
    learning_steps: tuple = field(default=srs.LEARNING_STEPS)
    relearning_steps: tuple = field(default=srs.RELEARNING_STEPS)
    # Replaces FSRS in the card update when set: anything with ``review(state, *, correct,
    # now) -> state`` whose state carries an ISO ``due`` and an int ``state`` (the
    # simulator's fixed schedules, app/simulation/schedules.py). None means FSRS.
    card_scheduler: object | None = None
    # FSRS's weights fitted to the pack's own answers (``saathi fit``); None: the package's defaults.
    parameters: tuple | None = None

    @classmethod
    def from_config(cls, config) -> Policy:
        return cls(
            desired_retention=float(config["DESIRED_RETENTION"]),
            daily_cap=int(config["DAILY_CAP"]),
            reminders=int(config["REMINDERS"]),
            max_interval_days=int(config["MAX_INTERVAL_DAYS"]),
            reminder_after=timedelta(hours=float(config["REMINDER_AFTER_HOURS"])),
            prompt_expiry=timedelta(hours=float(config["PROMPT_EXPIRY_HOURS"])),
            send_start=config["SEND_WINDOW_START"],
            send_end=config["SEND_WINDOW_END"],
        )

    @property
    def window(self) -> tuple[str, str]:
        """The send window a new site gets when none is given (SAATHI_SEND_WINDOW_START/_END)."""
        return self.send_start, self.send_end

    @property
    def scheduler(self):
        return srs.scheduler(self.desired_retention, tuple(self.learning_steps),
                             tuple(self.relearning_steps), self.max_interval_days, self.parameters)

    def fitted(self, parameters) -> Policy:
        """This policy with FSRS's weights fitted to a pack (None or empty: unchanged)."""
        if not parameters or self.card_scheduler is not None:
            return self
        parameters = tuple(float(p) for p in parameters)
        return self if parameters == self.parameters else replace(self, parameters=parameters)

    def review(self, state: dict | None, *, correct: bool, now: datetime) -> dict:
        """A card's next state after an answer: FSRS unless ``card_scheduler`` replaces it."""
        if self.card_scheduler is not None:
            return self.card_scheduler.review(state, correct=correct, now=now)
        return srs.review(state, correct=correct, now=now, sched=self.scheduler)


def current_policy(app) -> Policy:
    """The app's policy, read once; takes the app, never ``current_app`` (see ``current_options``)."""
    policy = app.extensions.get("saathi.policy")
    if policy is None:
        policy = app.extensions["saathi.policy"] = Policy.from_config(app.config)
    return policy

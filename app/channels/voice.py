"""Voice: the quiz as a phone call (TwiML), answered on the keypad or by speech.

An adapter: the call's own logic stays in ``app/voice`` (planning a call, the TwiML
flow, what each dial's status means). A call carries several prompts, reminds nobody by
SMS, and can carry a prompt an SMS could not deliver to a learner who takes both.
"""
from __future__ import annotations

from collections.abc import Mapping

from app.channels import messages
from app.channels.base import Channel
from app.voice.calls import call_instead_of_sms, call_off, expire_stale, plan_call, stop_calls
from app.voice.settings import has_voice
from app.voice.status import apply_call_status


class VoiceChannel(Channel):
    name = "voice"
    outbox_kind = "call"

    def speaks(self, db, language: str) -> bool:
        return has_voice(db, language)
    closes_own_prompts = True
    status_path = "/twilio/call-status"

    def plan(self, db, learner, *, now, policy, options, stats):
        return plan_call(db, learner, now=now, policy=policy, options=options.voice, stats=stats)

    def stale_prompt(self, db, prompt, learner, *, now, policy, stats) -> bool:
        expire_stale(db, prompt, learner, now=now, policy=policy, stats=stats)
        return True

    def call_off(self, db, learner, *, now):
        return call_off(db, learner, now=now)

    def stop(self, db, learner, *, now):
        stop_calls(db, learner, now=now)

    def send(self, transport, row, status_callback):
        return transport.place_call(to=row.to_number, url=row.body, status_callback=status_callback)

    def find_sent(self, transport, row):
        return None  # a call placed twice is a second ring, not a second charge for one text

    def apply_status(self, db, row, status, *, error_code=None, duration=None, now, options, max_attempts=6):
        apply_call_status(db, row, status, duration, now=now, options=options.voice)

    def give_up(self, db, row, *, now, options):
        """A call that could not be placed: its prompt comes again later (a dial that was
        placed but not answered is retried, then given up, by ``apply_call_status``)."""
        messages.release_prompt(db, row, now=now)

    def take_over(self, db, row, learner, *, now, options):
        return call_instead_of_sms(db, row, now=now, options=options.voice)

    def answer_text(self, form: Mapping[str, str]) -> str:
        return form.get("Digits") or form.get("SpeechResult") or ""

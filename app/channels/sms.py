"""SMS: the text message every phone takes, and the channel the others fall back to.

Everything an SMS does is the ``Channel`` default; what it adds is that a plain review
text may be written in bulk by the planner, and that its rows take a sender number
from the pool.
"""
from __future__ import annotations

from app.channels.base import Channel
from app.learning.prompts import Outgoing, render
from app.models import Prompt


class SmsChannel(Channel):
    name = "sms"
    outbox_kind = "sms"
    bulk_reviews = True
    chooses_sender = True
    sends_async = True

    def take_over(self, db, row, learner, *, now, options):
        """Carry a prompt another channel (WhatsApp) gave up on: the prompt's own text, not
        a template's, as the learner has not seen the question itself."""
        if learner is None or not learner.active:
            return None
        prompt = db.get(Prompt, row.prompt_id) if row.prompt_id else None
        body = render(db, prompt, learner) if prompt is not None and prompt.status == "pending" else row.body
        if prompt is not None:
            prompt.channel = self.name  # answered, and reminded, by SMS from now on
            db.add(prompt)
        purpose = "prompt" if row.purpose == "opener" else row.purpose
        return self.compose(db, learner, Outgoing(body, row.prompt_id, purpose=purpose), now=now, options=options)

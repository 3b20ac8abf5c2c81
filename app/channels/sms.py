"""SMS: the text message every phone takes, and the channel the others fall back to.

Everything an SMS does is the ``Channel`` default; what it adds is that a plain review
text may be written in bulk by the planner, and that its rows take a sender number
from the pool.
"""
from __future__ import annotations

from app.channels.base import Channel


class SmsChannel(Channel):
    name = "sms"
    outbox_kind = "sms"
    bulk_reviews = True
    chooses_sender = True
    sends_async = True

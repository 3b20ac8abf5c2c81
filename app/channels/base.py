"""What every channel is to the rest of Saathi: the one seam scheduling and learning use.

A channel plans the next contact for a learner who uses it, sends an outbox row of its
kind, makes sense of what the provider reports back about that row, and says what in an
inbound request is the learner's answer. Scheduling (``app/scheduling``) and learning
(``app/learning``) hold a ``Channel`` from the registry and call these methods; they
never import a channel's own module. The defaults here are the text message's (SMS,
and WhatsApp inside its window), so a text-like channel overrides little.

Adding a channel: one module with a ``Channel`` subclass, one line in ``registry.py``.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlmodel import Session, select

from app.channels import messages
from app.channels.outbox import write_outbox
from app.learning.policy import Policy
from app.learning.prompts import Outgoing, activate_next_queued, create_review
from app.messaging.transport import SendResult
from app.models import Card, Item, Learner, Outbox, Prompt


class Channel:
    """One way of reaching a learner. Subclasses set the names and override what differs."""

    name: str = ""           # a learner's and a prompt's ``channel``
    outbox_kind: str = ""    # the ``kind`` of its outbox rows
    # The planner's set-based path (``review_batch``) writes plain review texts of this
    # channel in bulk: true only where a review is one unconditional text.
    bulk_reviews: bool = False
    sends_async: bool = False     # the async client (``twilio_async``) can send its rows
    status_path: str = "/twilio/status"  # where the provider reports on its rows
    chooses_sender: bool = False  # its rows get a sender number from the pool at claim
    # Its prompts are closed by the channel itself (a call in progress ends by itself),
    # never put back from outside.
    closes_own_prompts: bool = False
    registry = None  # set by ``Registry.register``: how a channel finds its fallbacks

    def speaks(self, db: Session, language: str) -> bool:
        """Whether this channel can carry ``language`` (a call needs a voice that speaks it)."""
        return True

    # -- planning ------------------------------------------------------------------------
    def plan(self, db: Session, learner: Learner, *, now: datetime, policy: Policy, options, stats) -> Outbox | None:
        """The next message for one locked learner inside their window and under the cap
        (the planner checked both), or None with ``learner.next_contact_at`` set."""
        out = self.next_outgoing(db, learner, now=now)
        if out is None:
            learner.next_contact_at = None
            return None
        stats.planned += 1
        return self.compose(db, learner, out, now=now, options=options)

    def next_outgoing(self, db: Session, learner: Learner, *, now: datetime) -> Outgoing | None:
        """The learner's next queued prompt, else their first due card as a review."""
        out = activate_next_queued(db, learner, now=now, channel=self.name)
        if out is not None:
            return out
        card = db.exec(select(Card).join(Item, Item.id == Card.item_id)
                       .where(Card.learner_id == learner.id, Card.due <= now, Item.active)
                       .order_by(Card.due, Card.id)).first()
        if card is None:
            return None
        return create_review(db, card, learner, now=now, channel=self.name)

    def compose(self, db: Session, learner: Learner, out: Outgoing, *, now: datetime, options,
                reminder: bool = False) -> Outbox:
        """The outbox row that carries ``out`` on this channel (a reply, a reminder, a prompt)."""
        return write_outbox(db, learner, out, now=now, kind=self.outbox_kind)

    def stale_prompt(self, db: Session, prompt: Prompt, learner: Learner, *, now: datetime, policy: Policy,
                     stats) -> bool:
        """A prompt of this channel past its reminder time: True if the channel dealt with it
        (a call closes its own), False for the planner's reminder-then-expiry."""
        return False

    def call_off(self, db: Session, learner: Learner, *, now: datetime) -> tuple[int, int]:
        """Cancel what this channel planned for the learner beyond its queued outbox rows
        (a call not yet dialled): (contacts cancelled, prompts put back)."""
        return 0, 0

    def bulk_for(self, phone: str, site) -> bool:
        """Whether the planner may write this learner's plain review in bulk (no per-row work)."""
        return self.bulk_reviews

    def bulk_columns(self, phone: str, site, *, language: str, body: str, templates: dict | None) -> dict | None:
        """What else a bulk review row of this channel carries (``review_batch.EXTRA``) for a
        learner at ``site``, its text ``body`` from a pack with ``templates``; None when this
        one cannot go in bulk after all (the planner takes it one at a time)."""
        return {}

    def reply_sender(self, db: Session, learner: Learner, *, now: datetime):
        """How replies to ``learner``'s inbound message go on this channel when they cannot
        travel in the webhook's response (a DLT site's SMS): ``send(db, learner, outgoing)``;
        None: in the response."""
        return

    def stop(self, db: Session, learner: Learner, *, now: datetime) -> None:
        """The learner sent STOP: end at once whatever this channel has under way beyond its
        queued rows (which the caller cancels)."""

    # -- sending -------------------------------------------------------------------------
    def send(self, transport, row: Outbox, status_callback: str | None) -> SendResult:
        return transport.send_sms(to=row.to_number, body=row.body, status_callback=status_callback,
                                  **sender_of(row))

    async def asend(self, aio, row: Outbox, status_callback: str | None) -> SendResult:
        """``send`` through the async client (only where ``sends_async``)."""
        return await aio.send_sms(to=row.to_number, body=row.body, status_callback=status_callback,
                                  **sender_of(row))

    def find_sent(self, transport, row: Outbox) -> str | None:
        """An uncertain row's SID if the provider already has it (a crash or a timeout after
        the API call), so that it is never sent twice. None: not found, send it."""
        return transport.find_sent(to=row.to_number, body=row.body, since=row.created_at, **sender_of(row))

    # -- what comes back -----------------------------------------------------------------
    def apply_status(self, db: Session, row: Outbox, status: str, *, error_code: int | None = None,
                     duration: int | None = None, now: datetime, options, max_attempts: int = 6) -> None:
        """Move ``row`` forward to a status the provider reported; act on a failure."""
        messages.apply_status(db, row, status, error_code, now=now, options=options, max_attempts=max_attempts,
                              give_up=self.give_up)

    def give_up(self, db: Session, row: Outbox, *, now: datetime, options) -> None:
        """A prompt of this channel that will not get through: another channel the learner
        takes carries it (the first that can), else the prompt comes again later."""
        if row.purpose in messages.PROMPTING and row.learner_id and self.registry is not None:
            learner = db.get(Learner, row.learner_id)
            for other in self.registry.fallbacks(learner, self):
                if other.take_over(db, row, learner, now=now, options=options) is not None:
                    return
        messages.release_prompt(db, row, now=now)

    def take_over(self, db: Session, row: Outbox, learner: Learner, *, now: datetime, options) -> Outbox | None:
        """Carry the prompt of ``row``, given up by another channel; None if this one cannot."""
        return None

    def answer_text(self, form: Mapping[str, str]) -> str:
        """What in an inbound request is the learner's answer, for the grading engine."""
        return form.get("Body") or ""


def sender_of(row: Outbox) -> dict:
    """The ``sender=`` argument for a transport call, or nothing: transports without
    senders (the console, a fake) never see one."""
    return {"sender": row.sender} if row.sender else {}

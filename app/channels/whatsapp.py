"""WhatsApp: the channel most Indian learners read first, and that costs them nothing to answer.

Through Twilio's Messages API with ``whatsapp:`` addresses. The rule that shapes it is
Meta's 24-hour window (``learner.whatsapp_open_until``, opened by the learner's last
message): inside it Saathi sends free text and buttons (``whatsapp_content``); outside it
only an approved template, so a question outside the window goes as its opener
template, and the learner's reply reopens the window for the question itself
(``whatsapp_inbound``). When WhatsApp refuses a free-form message anyway (error 63016,
the window closed under us) the template goes instead, or the SMS channel carries it.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, select

from app.channels import messages
from app.channels.base import Channel, sender_of
from app.channels.outbox import queued_message
from app.channels.whatsapp_content import (
    VARIABLE_MAX,
    approved_template,
    as_json,
    button_variables,
    choices,
    prompt_values,
    read_payload,
    shape_for,
)
from app.learning import prompt_kinds
from app.learning.prompts import Outgoing, module_of, put_back
from app.models import Cohort, Item, Learner, Module, Outbox, Pack, Prompt, TrainingSession

WINDOW = timedelta(hours=24)
PREFIX = "whatsapp:"
OUTSIDE_WINDOW = 63016  # Twilio: free-form message outside the 24-hour window


@dataclass(frozen=True)
class WhatsAppOptions:
    """``SAATHI_WHATSAPP_*`` settings."""

    sender: str | None = None      # "whatsapp:+1415…" or a Messaging Service "MG…"
    # Session content made once per shape ("quick-reply-2", "list-5" …) -> its ContentSid.
    content: Mapping[str, str] = field(default_factory=dict)
    sms_fallback: bool = True      # a message WhatsApp cannot carry goes by SMS

    @classmethod
    def from_config(cls, config) -> WhatsAppOptions:
        spec = config.get("WHATSAPP_CONTENT") or ""
        content = dict(part.strip().split("=", 1) for part in spec.split(",") if "=" in part)
        fallback = str(config.get("WHATSAPP_SMS_FALLBACK", "1")).lower() not in ("0", "false", "no", "")
        return cls(sender=config.get("WHATSAPP_FROM") or None, content=content, sms_fallback=fallback)


def latest_module(db: Session, learner: Learner) -> Module | None:
    """The module of the learner's cohort's latest session: whose pack's templates speak for
    a prompt that belongs to no module."""
    if learner.cohort_id is None:
        return None
    held = db.exec(select(TrainingSession).join(Cohort, Cohort.id == TrainingSession.cohort_id)
                   .where(Cohort.id == learner.cohort_id)
                   .order_by(TrainingSession.held_at.desc(), TrainingSession.id.desc())).first()
    return db.get(Module, held.module_id) if held is not None else None


def window_open(learner: Learner, now: datetime) -> bool:
    return learner.whatsapp_open_until is not None and learner.whatsapp_open_until > now


def open_window(learner: Learner, now: datetime) -> None:
    """The learner wrote to us: anything may go to them for the next 24 hours. A learner
    held back because nothing could go outside the window is looked at again at once (the
    planner checks their send window and cap afresh)."""
    learner.whatsapp_open_until = now + WINDOW
    if learner.next_contact_at is not None and learner.next_contact_at > now:
        learner.next_contact_at = None


class WhatsAppChannel(Channel):
    name = "whatsapp"
    outbox_kind = "whatsapp"

    # -- planning ------------------------------------------------------------------------
    def compose(self, db: Session, learner: Learner, out: Outgoing, *, now: datetime, options,
                reminder: bool = False) -> Outbox | None:
        """Inside the window: text, with buttons for a question; outside: the template that
        opens the conversation, or (no template) the same text by SMS; None if neither may go."""
        wa: WhatsAppOptions = options.whatsapp
        prompt = db.get(Prompt, out.prompt_id) if out.prompt_id else None
        if window_open(learner, now):
            return self._row(db, learner, out, now=now, options=wa, **self._buttons(db, learner, prompt, out, wa))
        kind = "post_session" if prompt is None else prompt_kinds.of(prompt.kind).template
        module = module_of(db, prompt) if prompt is not None else None
        # A check-in or a milestone is about no module: the opener of the learner's last pack.
        module = module or (latest_module(db, learner) if prompt is not None else None)
        pack = db.get(Pack, module.pack_id) if module is not None else None
        template = approved_template(pack, kind, learner.language)
        if template is None:
            if wa.sms_fallback:
                return self._by_sms(db, learner, out, now=now, options=options)
            return self._hold(db, learner, prompt, now=now)
        variables = template.fill(learner, module, pack, prompt_values(db, prompt, template.language))
        return self._row(db, learner, Outgoing(template.render(variables), out.prompt_id, purpose="opener"),
                         now=now, options=wa, content_sid=template.content_sid, content_variables=as_json(variables))

    def _buttons(self, db: Session, learner: Learner, prompt: Prompt | None, out: Outgoing,
                 wa: WhatsAppOptions) -> dict:
        if prompt is None or len(out.body) > VARIABLE_MAX:
            return {}
        item = db.get(Item, prompt.item_id) if prompt.item_id else None
        titles = choices(prompt.kind, item, learner.language)
        sid = wa.content.get(shape_for(len(titles)) or "")
        if not sid:
            return {}  # free text: the options are in it, a typed answer works
        return {"content_sid": sid, "content_variables": as_json(button_variables(out.body, prompt.id, titles))}

    def _row(self, db: Session, learner: Learner, out: Outgoing, *, now: datetime, options: WhatsAppOptions,
             content_sid: str | None = None, content_variables: str | None = None) -> Outbox:
        values = queued_message(learner, out, now=now, kind=self.outbox_kind)
        # Meta charges by the message, not by the segment.
        values.update(segments=1, sender=options.sender, content_sid=content_sid,
                      content_variables=content_variables)
        row = Outbox(**values)
        db.add(row)
        return row

    def _hold(self, db: Session, learner: Learner, prompt: Prompt | None, *, now: datetime) -> None:
        """Nothing may go (no template, no SMS fallback): the prompt goes back, and the learner
        is looked at again in a day (their own message opens the window before that)."""
        if prompt is not None:
            put_back(db, prompt, now=now)
        learner.next_contact_at = now + timedelta(days=1)
        db.add(learner)

    def _by_sms(self, db: Session, learner: Learner, out: Outgoing, *, now: datetime, options) -> Outbox:
        sms = self.registry.named("sms")
        row = sms.compose(db, learner, out, now=now, options=options)
        if out.prompt_id:
            prompt = db.get(Prompt, out.prompt_id)
            if prompt is not None:
                prompt.channel = sms.name  # answered by SMS, reminded by SMS
                db.add(prompt)
        return row

    # -- sending -------------------------------------------------------------------------
    def send(self, transport, row: Outbox, status_callback: str | None):
        return transport.send_whatsapp(to=row.to_number, body=row.body, content_sid=row.content_sid,
                                       content_variables=row.content_variables, sender=row.sender,
                                       status_callback=status_callback)

    def find_sent(self, transport, row: Outbox) -> str | None:
        return transport.find_sent(to=PREFIX + row.to_number, body=row.body, since=row.created_at,
                                   **sender_of(row))

    # -- what comes back -----------------------------------------------------------------
    def apply_status(self, db: Session, row: Outbox, status: str, *, error_code: int | None = None,
                     duration: int | None = None, now: datetime, options, max_attempts: int = 6) -> None:
        if (error_code == OUTSIDE_WINDOW and status in messages.FAILED
                and row.status not in (*messages.FAILED, "dead", "cancelled", "replied")):
            row.status, row.error_code, row.updated_at = status, error_code, now
            db.add(row)
            self._outside_window(db, row, now=now, options=options)
            return
        messages.apply_status(db, row, status, error_code, now=now, options=options, max_attempts=max_attempts,
                              give_up=self.give_up)

    def _outside_window(self, db: Session, row: Outbox, *, now: datetime, options) -> None:
        """WhatsApp refused a message for the window: it is closed, whatever we thought.
        The template goes instead (a free-form row), else SMS carries the prompt: once,
        as the failed row never reached the learner."""
        learner = db.get(Learner, row.learner_id) if row.learner_id else None
        if learner is None or not learner.active:
            return
        learner.whatsapp_open_until = None
        db.add(learner)
        if not row.prompt_id:  # feedback on an answer ("Correct! …"): SMS carries it, or it is moot
            if options.whatsapp.sms_fallback and row.purpose == "reply":
                self.registry.named("sms").compose(db, learner, Outgoing(row.body, purpose="notice"), now=now,
                                                   options=options)
            return
        if row.purpose not in ("prompt", "reminder", "reply", "opener") or not messages.prompt_open(db, row):
            return
        out = Outgoing(row.body, row.prompt_id, purpose="prompt" if row.purpose == "reply" else row.purpose)
        if row.purpose != "opener":  # a free-form row: its template may go where it could not
            self.compose(db, learner, out, now=now, options=options)
            return
        self.give_up(db, row, now=now, options=options)

    def take_over(self, db, row, learner, *, now, options):
        return None  # nothing falls back to WhatsApp: its window is the learner's to open

    def answer_text(self, form: Mapping[str, str]) -> str:
        """A tapped button (``ButtonPayload``: our ``p<prompt>.<n>``) is answer ``n``; else
        the button's text, else what the learner typed."""
        tapped = read_payload(form.get("ButtonPayload"))
        if tapped is not None:
            return str(tapped[1])
        return form.get("ButtonText") or form.get("Body") or ""

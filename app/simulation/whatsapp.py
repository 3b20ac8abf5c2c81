"""WhatsApp learners in the fast engine: Meta's 24-hour window decides what a message costs.

A learner on channel ``whatsapp`` gets the same prompts at the same moments as an SMS
learner (the planner does not care which channel carries them); what differs is how each
goes, replayed from ``app/channels/whatsapp.py`` and ``whatsapp_inbound.py``:

- inside the window (24 hours after the learner's last message, ``open_window``) a
  message is free text or buttons: the provider's fee only (``Price.whatsapp_message``);
- outside it only an approved template may go: the post-session template, or the review
  opener (``WhatsAppChannel.compose``). Meta charges it as a utility template
  (``Price.whatsapp_template``) on top of the fee. The question itself is not in it;
- a learner who replies to a template opens the window, and the question goes then, free
  (``whatsapp_inbound._put_again``): that reply is not an answer, so a review outside the
  window takes two replies, the second drawn as a learner already in a conversation
  (``keeps_going``). A learner who never replies gets only templates (and their reminders,
  templates too), and never sees a question;
- answers, verdicts and the next question inside the window are graded and chained as for
  SMS (the same ``engine._then_next``), each message billed by the fee, not by the segment.

Modelled: every template is approved (a pack without one falls back to SMS in Saathi; not
here), no 63016 refusals (the window is tracked exactly), buttons and typed answers alike.
The db engine (runner.py) sends through the real ``WhatsAppChannel`` instead, with the
pack's templates marked approved (``approve_templates``) and the learner's reply handled as
``receive_whatsapp`` does (``receive``); the two engines give the same figures.
"""
from __future__ import annotations

import random

WINDOW_US = 24 * 3600 * 1_000_000


def channel_of(seed: int, index: int, voice_share: float, whatsapp_share: float) -> str:
    """Learner ``index``'s channel, from one draw of its own (``voice.is_voice``'s): voice below
    ``voice_share``, then WhatsApp for the next ``whatsapp_share``, else SMS. The voice
    learners are the same with or without WhatsApp learners, and no other draw changes."""
    if voice_share <= 0 and whatsapp_share <= 0:
        return "sms"
    u = random.Random(f"saathi-sim:{seed}:channel:{index}").random()
    if u < voice_share:
        return "voice"
    return "whatsapp" if u < voice_share + whatsapp_share else "sms"


def send(result, st, now: int, *, prompt: bool) -> None:
    """One WhatsApp message to ``st``'s learner at ``now``: free inside the window, else a
    template. ``prompt``: it carries the pending prompt, whose question is then shown when it
    goes as free text (a template never shows it)."""
    result.messages += 1
    result.wa_messages += 1
    if st.wa_open_until > now:
        if prompt:
            st.wa_shown = now
        return
    result.wa_templates += 1  # a question already shown stays shown (``whatsapp_inbound._shown``)


def opened(st, when: int) -> None:
    """The learner wrote: the window is open for 24 hours (``whatsapp.open_window``)."""
    st.wa_open_until = when + WINDOW_US


# -- the database engine (runner.py): the real channel, Meta's templates taken as approved --
def approve_templates(db, pack_row, spec) -> None:
    """The pack's WhatsApp templates on its row, each with a ContentSid as if Meta approved it
    (the fast engine assumes the same); without one Saathi would fall back to SMS."""
    templates = dict(spec.data.get("templates") or {})
    templates["whatsapp"] = {kind: {code: {**template, "content_sid": f"HX{kind[:8]}{code}".ljust(34, "0")}
                                    for code, template in by_language.items()}
                             for kind, by_language in (templates.get("whatsapp") or {}).items()}
    pack_row.templates = templates
    db.add(pack_row)


def receive(db, learner_row, prompt_id: int, *, when, options) -> bool:
    """``whatsapp_inbound.receive_whatsapp``'s own part for the learner's reply at ``when``: the
    window opens; a reply to a template whose question was not shown puts the question (True:
    no answer to grade). Otherwise the engine grades it, its replies as WhatsApp rows."""
    from sqlmodel import select

    from app.channels.registry import channels
    from app.channels.whatsapp import open_window
    from app.learning.conversation import NOT_SHOWN, SHOWN_PURPOSES
    from app.learning.prompts import Outgoing, render
    from app.models import Outbox, Prompt

    open_window(learner_row, when)
    db.add(learner_row)
    shown = db.exec(select(Outbox.id).where(Outbox.prompt_id == prompt_id, Outbox.purpose.in_(SHOWN_PURPOSES),
                                            Outbox.status.not_in(NOT_SHOWN)).limit(1)).first()
    if shown is not None:
        return False
    prompt = db.get(Prompt, prompt_id)
    channels.named("whatsapp").compose(db, learner_row, Outgoing(render(db, prompt, learner_row), prompt_id,
                                                                 purpose="reply"), now=when, options=options)
    return True


def sender(db, *, when, options):
    """``send`` for the engine: each reply queued as a WhatsApp row (free inside the window)."""
    from app.channels.registry import channels
    from app.learning.prompts import Outgoing

    def send(db_, learner_row, out):
        channels.named("whatsapp").compose(db_, learner_row, Outgoing(out.body, out.prompt_id, purpose="reply"),
                                           now=when, options=options)
    return send

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

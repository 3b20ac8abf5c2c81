"""SMS: the text message every phone takes, and the channel the others fall back to.

Most of what an SMS does is the ``Channel`` default; what it adds: a plain review text
may be written in bulk by the planner (a DLT text too: the planner attaches its IDs,
``bulk_columns``), its rows take a sender number from the pool, it
carries a prompt WhatsApp gave up on, and to an Indian number it goes from the site's
DLT header with the entity and template IDs (``dlt.py``); a carrier's refusal of a text
that matches no registered template is recorded with its reason, never retried blindly.
"""
from __future__ import annotations

import logging

from sqlmodel import select

from app.channels import dlt, messages
from app.channels.base import Channel
from app.learning.prompts import Outgoing, module_of, render
from app.models import Pack, Prompt, Site
from app.observability import metrics

log = logging.getLogger(__name__)


def _all_templates(db) -> list[dict]:
    """Every pack's templates (only read for a DLT text its own pack does not register)."""
    return [t for t in db.exec(select(Pack.templates)).all() if t]


class SmsChannel(Channel):
    name = "sms"
    outbox_kind = "sms"
    bulk_reviews = True
    chooses_sender = True
    sends_async = True

    def bulk_columns(self, phone: str, site, *, language: str, body: str, templates: dict | None) -> dict | None:
        """To an Indian number from a DLT site: the entity, the template the review text
        matches and the registered header; None when no template matches (the careful path
        then records why it was not sent)."""
        if not dlt.applies(phone, site):
            return {}
        template = dlt.template_id(templates, language, body)
        if template is None:
            return None
        return {"dlt_entity_id": site.dlt_entity_id, "dlt_template_id": template, "sender": site.dlt_header}

    def compose(self, db, learner, out, *, now, options, reminder=False):
        row = super().compose(db, learner, out, now=now, options=options, reminder=reminder)
        site = db.get(Site, learner.site_id)
        if dlt.applies(learner.phone, site):
            prompt = db.get(Prompt, out.prompt_id) if out.prompt_id else None
            module = module_of(db, prompt) if prompt is not None else None
            pack = db.get(Pack, module.pack_id) if module is not None else None
            row.dlt_entity_id = site.dlt_entity_id
            row.sender = site.dlt_header or row.sender
            # The prompt's own pack first; a catalog text (a keyword's answer, "Correct!") may
            # be registered in any pack's templates: the entity registered it once.
            row.dlt_template_id = (dlt.template_id(pack.templates if pack else None, learner.language, out.body)
                                   or dlt.template_id_in(_all_templates(db), learner.language, out.body))
            if row.dlt_template_id is None:
                self._unregistered(db, row, learner, prompt, now=now)
        return row

    def _unregistered(self, db, row, learner, prompt, *, now) -> None:
        """A text no registered template matches is never sent to a DLT site (carriers drop
        it, and a blind retry would be dropped again): the row stays, failed, with the
        reason the supervisor sees (``reports.delivery.dlt_refusals``); its prompt is
        closed, and the learner is looked at again tomorrow, not at the next pass."""
        row.status, row.error_message = "failed", dlt.UNREGISTERED_REASON
        metrics.failed(row.kind, row.purpose, "dlt")
        log.warning("SMS to learner %s matches no DLT template: not sent", learner.id,
                    extra={"learner_id": learner.id})
        if prompt is not None and prompt.status == "pending":
            prompt.status, prompt.closed_at = "expired", now
            db.add(prompt)
        if row.purpose in ("prompt", "reminder"):
            learner.next_contact_at = now + dlt.UNREGISTERED_HOLD
            db.add(learner)

    def reply_sender(self, db, learner, *, now):
        """To a DLT site a reply goes through the outbox (its IDs attached, an unregistered
        text held back), never as TwiML, which carries no template ID."""
        if not dlt.applies(learner.phone, db.get(Site, learner.site_id)):
            return None

        def send(db_, learner_, out):
            self.compose(db_, learner_, Outgoing(out.body, out.prompt_id, purpose="reply"), now=now, options=None)
        return send

    def apply_status(self, db, row, status, *, error_code=None, duration=None, now, options, max_attempts=6):
        if error_code == dlt.REFUSED and row.dlt_entity_id and status in messages.FAILED:
            self._refused(db, row, status, now=now)
            return
        super().apply_status(db, row, status, error_code=error_code, duration=duration, now=now, options=options,
                             max_attempts=max_attempts)

    def _refused(self, db, row, status: str, *, now) -> None:
        """The carrier dropped a DLT text: the same text would be dropped again, so it is not
        retried; the reason stays on the row for the supervisor (dashboard), and the prompt
        is closed rather than asked again in words no template allows."""
        if row.status in ("dead", "cancelled", "replied"):
            return
        template = row.dlt_template_id or "none matched"
        row.status, row.error_code, row.updated_at = status, dlt.REFUSED, now
        metrics.failed(row.kind, row.purpose, "dlt")
        row.error_message = f"refused by Indian carriers: text does not match DLT template ({template})"
        db.add(row)
        prompt = db.get(Prompt, row.prompt_id) if row.prompt_id else None
        if prompt is not None and prompt.status == "pending":
            prompt.status, prompt.closed_at = "expired", now
            db.add(prompt)

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

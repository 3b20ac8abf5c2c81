"""The WhatsApp webhook: a thin adapter from Twilio's form post to ``receive_whatsapp``.

Delivery statuses of WhatsApp messages come to ``/twilio/status`` like an SMS's
(``read`` included); only inbound messages have their own door.
"""
from __future__ import annotations

from flask import current_app, request

from app.channels.options import current_options
from app.channels.whatsapp_inbound import receive_whatsapp
from app.clock import get_clock
from app.db import get_db
from app.learning.policy import current_policy
from app.web.webhooks import bp
from app.web.webhooks.routes import _field
from app.web.webhooks.signature import twilio_only
from app.web.webhooks.twiml import messages


@bp.post("/whatsapp")
@twilio_only
def inbound_whatsapp():
    """Store and answer an inbound WhatsApp message (idempotent on MessageSid). TwiML: empty
    for a learner (the answers are queued: buttons need the API); 400 without MessageSid/From."""
    sid = _field("MessageSid")
    sender = _field("From", limit=48)
    db = get_db()
    reply = receive_whatsapp(db=db, sid=sid, from_address=sender, form=request.form, now=get_clock().now(),
                             policy=current_policy(current_app), options=current_options(current_app),
                             to_number=_field("To", required=False, limit=48))
    db.commit()
    return messages(reply.messages)

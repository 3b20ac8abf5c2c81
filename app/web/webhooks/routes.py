"""Webhook views: thin adapters from Twilio's form posts to the learning engine."""
from __future__ import annotations

from flask import abort, current_app, request

from app.channels.options import current_options
from app.channels.registry import channels
from app.clock import get_clock
from app.db import get_db
from app.learning.inbound import clean_text, receive_sms
from app.learning.policy import current_policy
from app.scheduling.delivery import record_status
from app.web.webhooks import bp
from app.web.webhooks.signature import twilio_only
from app.web.webhooks.twiml import messages


def _field(name: str, *, required: bool = True, limit: int = 64) -> str | None:
    value = clean_text(request.form.get(name), limit).strip()
    if not value:
        if required:
            abort(400, description=f"missing {name}")
        return None
    return value


@bp.post("/sms")
@twilio_only
def inbound_sms():
    """Answer an inbound SMS with TwiML <Message>s. 400 if MessageSid or From is missing."""
    sid = _field("MessageSid")
    sender = _field("From", limit=32)
    db = get_db()
    reply = receive_sms(db=db, sid=sid, from_number=sender, body=channels.named("sms").answer_text(request.form),
                        to_number=_field("To", required=False, limit=32), now=get_clock().now(),
                        policy=current_policy(current_app))
    db.commit()
    return messages(reply.messages)


@bp.post("/status")
@twilio_only
def message_status():
    """Record a delivery status callback (idempotent). 204; 400 if MessageSid/MessageStatus is missing."""
    sid = _field("MessageSid")
    status = _field("MessageStatus", limit=16)
    code = _field("ErrorCode", required=False, limit=8)
    db = get_db()
    record_status(db=db, sid=sid, status=status, error_code=int(code) if code and code.isdecimal() else None,
                  now=get_clock().now(), max_attempts=int(current_app.config["SEND_MAX_ATTEMPTS"]),
                  options=current_options(current_app))
    db.commit()
    return "", 204

"""Twilio webhooks: inbound SMS and WhatsApp, delivery status, and (voice) calls. All signature-checked."""
from flask import Blueprint

bp = Blueprint("twilio", __name__, url_prefix="/twilio")

from app.web.webhooks import (
    routes,  # noqa: F401  (registers the views on bp)
    voice,  # noqa: F401  (voice calls: app.voice)
    whatsapp,  # noqa: F401  (WhatsApp: app.channels.whatsapp)
)

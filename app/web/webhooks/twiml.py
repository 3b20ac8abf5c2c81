"""TwiML responses built with the twilio library, never by string concatenation."""
from __future__ import annotations

from flask import Response
from twilio.twiml.messaging_response import MessagingResponse


def twiml(response) -> Response:
    return Response(str(response), mimetype="application/xml")


def messages(bodies: list[str]) -> Response:
    response = MessagingResponse()
    for body in bodies:
        response.message(body)
    return twiml(response)

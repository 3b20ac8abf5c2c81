"""What the fake Twilio API's Messages and Calls resources do with a request
(scripts/fake_twilio.py is the server that routes to them).

Why apart: these are the rules a test provokes and then asserts on (a number opted out or
unreachable, a WhatsApp window closed or a template not approved, a DLT header whose text is
not registered, a call not answered), with Twilio's checks in Twilio's order and its error
codes; the record each create keeps; and the status events it will report, in order. Kept in
one place, they read as Twilio's documentation does, away from the latency, the threads and
the HTTP that carry them.
"""
from __future__ import annotations

import functools
import json
import random
import re

from app.channels import dlt
from app.messaging.segments import count_segments
from scripts.fake_twilio_callbacks import Callback, post_signed, timestamp
from scripts.fake_twilio_http import Answer, Call

API = "2010-04-01"
E164 = re.compile(r"^\+[1-9]\d{7,14}$")


_ids = random.Random()  # for sids only: a seeded fake's own _rng (jitter, errors) keeps its sequence


def _sid(prefix: str) -> str:
    """``prefix`` and 32 hex digits laid out as ``uuid4().hex`` is (version 4, RFC 4122 variant),
    without a urandom call each."""
    n = _ids.getrandbits(128) & ~(0xF000 << 64) & ~(0xC000 << 48) | (0x4000 << 64) | (0x8000 << 48)
    return f"{prefix}{n:032x}"


@functools.lru_cache(maxsize=4096)
def _segments(body: str) -> str:
    """A message's ``num_segments``; bodies repeat (the same questions go to many learners)."""
    return str(count_segments(body).segments)


def error(status: int, code: int, message: str, headers: dict | None = None) -> Answer:
    """An error answered as Twilio answers it (its code, message and more_info link)."""
    body = {"code": code, "message": message, "status": status,
            "more_info": f"https://www.twilio.com/docs/errors/{code}"}
    return Answer(status, json.dumps(body).encode(), headers)


def as_json(status: int, record: dict) -> Answer:
    """A record as Twilio returns it (without the fake's private ``_params``)."""
    body = {k: v for k, v in record.items() if k != "_params"}
    return Answer(status, json.dumps(body).encode())


def _form_dict(form) -> dict:
    """The request form as a plain dict; repeated fields (StatusCallbackEvent) as lists."""
    return {k: (v[0] if len(v) == 1 else v) for k, v in form.lists()}


class MessagesAndCalls:
    """FakeTwilio's Messages and Calls resources: a create checked and recorded, with the
    callbacks it will make; a list; an inbound WhatsApp message. The host class has
    ``_lock``, ``_messages``, ``_calls``, ``messages``, ``account_sid``, ``auth_token``,
    ``service_number``, ``call_duration`` and the number lists its docstring describes."""

    def _list(self, call: Call, kind: str) -> Answer:
        """A one-page list filtered by ``To`` (and ``DateSent>``, ignored: records are recent).

        Saathi asks for this only to reconcile a send whose answer it never saw, so a linear
        scan is fine here, unlike on the create path.
        """
        args = call.args
        to = args.get("To")
        store = self._messages if kind == "Messages" else self._calls
        with self._lock:
            records = [dict(r) for r in store.values() if not to or r.get("to") == to]
        records.reverse()  # newest first, like Twilio
        size = int(args.get("PageSize", 50))
        key = kind.lower()
        return as_json(200, {key: records[:size], "page": 0, "page_size": size, "start": 0,
                            "end": max(len(records[:size]) - 1, 0), "uri": call.full_path,
                            "first_page_uri": call.full_path, "next_page_uri": None,
                            "previous_page_uri": None})

    def _create_message(self, form):
        to, from_, service, body = (form.get(k) for k in ("To", "From", "MessagingServiceSid", "Body"))
        if not to:
            return error(400, 21604, "A 'To' phone number is required.")
        if not from_ and not service:
            return error(400, 21603, "A 'From' phone number is required.")
        if not body and not form.get("MediaUrl") and not form.get("ContentSid"):
            return error(400, 21602, "Message body is required.")
        whatsapp = to.startswith("whatsapp:")
        number = to.removeprefix("whatsapp:")
        if not E164.match(number):
            return error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if number in self.opted_out:
            return error(400, 21610, "Attempt to send to unsubscribed recipient")
        if number in self.unreachable:
            return error(400, 21614, f"'To' number {to} is not a valid mobile number")
        refused, body = self._whatsapp_rules(form, number, body) if whatsapp else (None, body)
        if isinstance(refused, Answer):
            return refused
        if body and len(body) > 1600:
            return error(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        sid, now = _sid("SM"), timestamp()
        uri = f"/{API}/Accounts/{self.account_sid}/Messages/{sid}.json"
        payload = {
            "sid": sid, "account_sid": self.account_sid, "api_version": API, "to": to, "from": from_,
            "messaging_service_sid": service, "body": body or "", "direction": "outbound-api",
            # a Messaging Service send starts "accepted" and gets its sender from the pool later
            "status": "queued" if from_ else "accepted", "num_segments": _segments(body or ""),
            "num_media": str(len(form.getlist("MediaUrl"))), "price": None, "price_unit": "USD",
            "error_code": None, "error_message": None, "date_created": now, "date_updated": now,
            "date_sent": None, "uri": uri, "subresource_uris": {"media": uri[:-5] + "/Media.json"},
            "_params": _form_dict(form),
        }
        with self._lock:
            self._messages[sid] = payload
        base = {"MessageSid": sid, "SmsSid": sid, "AccountSid": self.account_sid, "To": to,
                "From": from_ or self.service_number, "ApiVersion": API}
        if service:
            base["MessagingServiceSid"] = service

        def event(status: str, error_code: int | None = None) -> Callback:
            params = dict(base, MessageStatus=status, SmsStatus=status)
            updates = {"status": status, "from": base["From"]}
            if status == "sent":
                updates["date_sent"] = timestamp()
            if error_code:
                params["ErrorCode"] = str(error_code)
                updates.update(error_code=error_code, error_message=f"Message {status}")
            return Callback("message", sid, status, form.get("StatusCallback"), params, updates)

        final, error_code = self.message_outcomes.get(number, ("delivered", None))
        if refused:  # WhatsApp took the request, Meta refuses the message: 63016
            final, error_code = "failed", refused
        registered = self.dlt_templates.get(from_ or "") if number.startswith("+91") and not whatsapp else None
        if registered is not None and not any(dlt.pattern(text).match(body or "") for text in registered):
            final, error_code = "undelivered", dlt.REFUSED
        job = [event("failed", error_code)] if final == "failed" else [event("sent"), event(final, error_code)]
        if whatsapp and final == "delivered" and self.whatsapp_read:
            job.append(event("read"))
        return payload, job

    def _whatsapp_rules(self, form, number: str, body: str | None):
        """(None | 63016 | an error Answer, the body as rendered) for a WhatsApp create."""
        sid = form.get("ContentSid")
        if not sid:
            return (None if number in self.whatsapp_open else 63016), body
        content = self.contents.get(sid)
        if content is None:
            return error(400, 21655, f"The Content SID {sid} is invalid"), body
        try:
            variables = json.loads(form.get("ContentVariables") or "{}")
        except ValueError:
            return error(400, 21656, "The ContentVariables parameter is invalid"), body
        if not isinstance(variables, dict):
            return error(400, 21656, "The ContentVariables parameter is invalid"), body
        # The message's text as Twilio keeps it: the content's body (if the fake was told it)
        # with the variables filled in, else the first variable.
        text = content.get("body") or "{{1}}"
        for key, value in variables.items():
            text = text.replace("{{" + str(key) + "}}", str(value))
        if number in self.whatsapp_open:
            if content.get("type", "quick-reply") == "quick-reply" and not content.get("approved") \
                    and content.get("buttons", 0) > 3:
                return error(400, 21655, f"Content {sid}: more than 3 quick replies in a session need approval"), body
            return None, body or text
        return (None if content.get("approved") else 63016), body or text

    def whatsapp_reply(self, number: str, *, body: str | None = None, tap: int | None = None,
                       to: str | None = None, url: str | None = None) -> dict:
        """What Twilio posts when ``number`` writes on WhatsApp, and the window it opens.

        ``tap``: the learner tapped button ``tap`` (1-based) of the last content message
        sent to them: ``ButtonText`` and ``ButtonPayload`` are that button's, as Twilio
        sends them. With ``url`` the form is posted there, signed; it is returned either way.
        """
        self.whatsapp_open.add(number)
        params = {"MessageSid": _sid("SM"), "AccountSid": self.account_sid,
                  "From": "whatsapp:" + number, "To": to or "whatsapp:" + self.service_number,
                  "NumMedia": "0", "WaId": number.lstrip("+"), "ProfileName": "Learner", "ApiVersion": API}
        if tap is not None:
            sent = [m for m in self.messages if m["to"] == "whatsapp:" + number and m["_params"].get("ContentSid")]
            if not sent:
                raise ValueError(f"no content message was sent to {number}: nothing to tap")
            last = sent[-1]
            variables = json.loads(last["_params"].get("ContentVariables") or "{}")
            title, button = variables.get(str(2 * tap)), variables.get(str(2 * tap + 1))
            if title is None:
                raise ValueError(f"message {last['sid']} has no button {tap}")
            params.update(Body=title, ButtonText=title, ButtonPayload=button, MessageType="button",
                          OriginalRepliedMessageSid=last["sid"])
        else:
            params.update(Body=body or "", MessageType="text")
        if url:
            post_signed(url, params, self.auth_token)
        return params

    def _create_call(self, form):
        to, from_ = form.get("To"), form.get("From")
        if not to:
            return error(400, 21201, "No 'To' number is specified")
        if not from_:
            return error(400, 21213, "No 'From' number is specified")
        if not (form.get("Url") or form.get("Twiml") or form.get("ApplicationSid")):
            return error(400, 21205, "Url parameter is required.")
        if not E164.match(to):
            return error(400, 21211, f"Invalid 'To' Phone Number: {to}")
        sid, now = _sid("CA"), timestamp()
        payload = {
            "sid": sid, "account_sid": self.account_sid, "api_version": API, "to": to, "to_formatted": to,
            "from": from_, "from_formatted": from_, "status": "queued", "direction": "outbound-api",
            "start_time": None, "end_time": None, "duration": None, "price": None, "price_unit": "USD",
            "answered_by": None, "parent_call_sid": None, "queue_time": "0", "date_created": now,
            "date_updated": now, "uri": f"/{API}/Accounts/{self.account_sid}/Calls/{sid}.json",
            "_params": _form_dict(form),
        }
        with self._lock:
            self._calls[sid] = payload
        # Twilio always reports the end ("completed" event, whatever the final status);
        # initiated/ringing/answered only when asked for in StatusCallbackEvent.
        wanted = set(" ".join(form.getlist("StatusCallbackEvent")).split()) | {"completed"}
        final = self.call_outcomes.get(to, "completed")
        steps = {"completed": ("initiated", "ringing", "answered", "completed"),
                 "failed": ("initiated", "completed")}.get(final, ("initiated", "ringing", "completed"))
        job = []
        for seq, step in enumerate(s for s in steps if s in wanted):
            status = {"answered": "in-progress", "completed": final}.get(step, step)
            params = {"CallSid": sid, "CallStatus": status, "AccountSid": self.account_sid, "To": to,
                      "From": from_, "Called": to, "Caller": from_, "Direction": "outbound-api",
                      "ApiVersion": API, "SequenceNumber": str(seq), "Timestamp": timestamp(),
                      "CallbackSource": "call-progress-events"}
            updates = {"status": status, "start_time": timestamp()} if step == "answered" else {"status": status}
            if step == "completed":
                duration = str(self.call_duration if final == "completed" else 0)
                params["CallDuration"] = duration
                updates.update(duration=duration, end_time=timestamp())
            job.append(Callback("call", sid, status, form.get("StatusCallback"), params, updates))
        return payload, job


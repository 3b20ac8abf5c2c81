"""What Twilio accepts in the TwiML we answer with: elements, attributes, nesting, values.

Written from Twilio's TwiML reference (Messaging: <Message> with to, from, action, method,
statusCallback and nouns <Body>/<Media>; Voice: <Say>, <Play>, <Gather>, <Pause>,
<Redirect>, <Hangup>, <Reject>). Only the verbs Saathi could plausibly use are allowed:
an element outside this table is a bug here or a verb we should look up first. Twilio
answers bad TwiML with error 12100/12200 and, on a call, "an application error has
occurred" read to the learner: this check catches it in the tests instead.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

METHODS = {"GET", "POST"}
SSML = {"break", "emphasis", "lang", "p", "phoneme", "prosody", "s", "say-as", "sub", "w"}
# element: (allowed attributes, allowed children, text: "required" | "optional" | "none")
MESSAGING = {
    "Response": (set(), {"Message", "Redirect"}, "none"),
    "Message": ({"to", "from", "action", "method", "statusCallback"}, {"Body", "Media"}, "optional"),
    "Body": (set(), set(), "optional"),
    "Media": (set(), set(), "required"),
    "Redirect": ({"method"}, set(), "required"),
}
VOICE = {
    "Response": (set(), {"Say", "Play", "Gather", "Pause", "Redirect", "Hangup", "Reject"}, "none"),
    "Say": ({"voice", "language", "loop"}, SSML, "optional"),
    "Play": ({"loop", "digits"}, set(), "optional"),
    "Gather": ({"action", "actionOnEmptyResult", "bargeIn", "debug", "enhanced", "finishOnKey", "hints",
                "input", "language", "maxSpeechTime", "method", "numDigits", "partialResultCallback",
                "partialResultCallbackMethod", "profanityFilter", "speechModel", "speechTimeout", "timeout"},
               {"Say", "Play", "Pause"}, "none"),
    "Pause": ({"length"}, set(), "none"),
    "Redirect": ({"method"}, set(), "required"),
    "Hangup": (set(), set(), "none"),
    "Reject": ({"reason"}, set(), "none"),
}
_INT = re.compile(r"^\d+$")
_LANG = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")


def _url_ok(value: str) -> bool:
    parts = urlsplit(value)
    return (parts.scheme in ("http", "https") and bool(parts.netloc)) or (not parts.scheme and value.startswith("/"))


def _values(el: ET.Element) -> list[str]:
    """Attribute values Twilio would refuse."""
    bad = []
    a = el.attrib
    for name in ("method", "partialResultCallbackMethod"):
        if name in a and a[name] not in METHODS:
            bad.append(f"{name}={a[name]!r}")
    for name in ("numDigits", "timeout", "loop", "length", "maxSpeechTime"):
        if name in a and not _INT.match(a[name]):
            bad.append(f"{name}={a[name]!r} is not a whole number")
    if "numDigits" in a and _INT.match(a["numDigits"]) and int(a["numDigits"]) < 1:
        bad.append("numDigits must be positive")
    if "speechTimeout" in a and not (_INT.match(a["speechTimeout"]) or a["speechTimeout"] == "auto"):
        bad.append(f"speechTimeout={a['speechTimeout']!r}")
    if "input" in a and set(a["input"].split()) - {"dtmf", "speech"}:
        bad.append(f"input={a['input']!r}")
    if "finishOnKey" in a and not re.fullmatch(r"[0-9#*]?", a["finishOnKey"]):
        bad.append(f"finishOnKey={a['finishOnKey']!r}")
    if "language" in a and not _LANG.match(a["language"]):
        bad.append(f"language={a['language']!r}")
    if el.tag == "Reject" and a.get("reason", "rejected") not in ("rejected", "busy"):
        bad.append(f"reason={a['reason']!r}")
    for name in ("action", "statusCallback", "partialResultCallback"):
        if name in a and not _url_ok(a[name]):
            bad.append(f"{name}={a[name]!r} is not a URL")
    if el.tag in ("Redirect", "Play", "Media") and (el.text or "").strip() and not _url_ok(el.text.strip()):
        bad.append(f"<{el.tag}> URL {el.text!r}")
    return bad


def check(document: bytes | str, *, kind: str | None = None) -> list[str]:
    """Problems with a TwiML document (empty: Twilio accepts it)."""
    try:
        root = ET.fromstring(document)
    except ET.ParseError as exc:
        return [f"not XML: {exc}"]
    if root.tag != "Response":
        return [f"root is <{root.tag}>, not <Response>"]
    if kind is None:
        kind = "messaging" if root.find("Message") is not None else "voice"
    schema = MESSAGING if kind == "messaging" else VOICE
    problems: list[str] = []

    def walk(el: ET.Element, path: str) -> None:
        if el.tag not in schema:
            problems.append(f"{path}: <{el.tag}> is not {kind} TwiML")
            return
        attributes, children, text = schema[el.tag]
        for name in sorted(set(el.attrib) - attributes):
            problems.append(f"{path}: <{el.tag}> has no attribute {name!r}")
        problems.extend(f"{path}: {bad}" for bad in _values(el))
        content = (el.text or "").strip()
        if text == "none" and content:
            problems.append(f"{path}: <{el.tag}> takes no text")
        if text == "required" and not content:
            problems.append(f"{path}: <{el.tag}> needs text")
        if el.tag in ("Message", "Body") and len(el.text or "") > 1600:
            problems.append(f"{path}: <{el.tag}> body of {len(el.text)} characters (Twilio's limit: 1600)")
        if el.tag == "Say" and not content and not len(el):
            problems.append(f"{path}: empty <Say>")
        for child in el:
            if child.tag not in children:
                problems.append(f"{path}: <{child.tag}> may not be inside <{el.tag}>")
            elif child.tag not in SSML:
                walk(child, f"{path}/{child.tag}")
            if (child.tail or "").strip() and text == "none":
                problems.append(f"{path}: stray text after <{child.tag}>")

    walk(root, "Response")
    return problems


def assert_valid(response, *, kind: str | None = None) -> None:
    """For a Flask test response or raw bytes: 200, application/xml, and valid TwiML."""
    data = getattr(response, "data", response)
    if hasattr(response, "status_code"):
        assert response.status_code == 200, (response.status_code, data[:300])
        assert response.mimetype in ("application/xml", "text/xml"), response.mimetype
    problems = check(data, kind=kind)
    assert not problems, "\n".join(problems) + "\n" + data.decode("utf-8", "replace")[:2000]

"""Whatever a phone, a carrier or an attacker sends: never a 500, never a corrupt row.

Property-based (hypothesis): the reply parser on any Unicode, and the Twilio webhooks on
any form Twilio or a forger could post, signed so the handlers really run (and forged or
unsigned, which must change nothing). After every example the stored data is checked
(tests/hardening/invariants.py: bounded text, one row per MessageSid, one pending prompt
per learner, answers on their own learner's questions, nothing for the opted-out), and
every 200 answer is valid TwiML (tests/contract/twiml_schema.py). Example counts are the
CI ones; ``scripts/fuzz`` runs the same tests with many more (tests/hardening/fuzz.py).
"""
from __future__ import annotations

import uuid
from urllib.parse import parse_qsl, quote

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import select
from werkzeug.datastructures import MultiDict

from app import languages
from app.learning import keywords
from app.learning.parsing import normalize, parse_choice, parse_number, words
from app.models import Answer, Feedback, Inbound
from app.scheduling.dispatcher import dispatch_once
from tests.conftest import PUBLIC_URL, sign
from tests.contract import twiml_schema
from tests.factories import cohort, make_learners, make_module
from tests.hardening.fuzz import examples, tally
from tests.hardening.invariants import assert_store_sound

ASHA, RAVI = "+919876543210", "+919876543211"
WEBHOOK = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                          HealthCheck.too_slow])
# Any text a handset or a script could produce: every plane, controls, NUL, combining marks,
# emoji sequences, right-to-left marks; surrogates cannot travel as UTF-8 (raw bytes below).
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)
LONG = st.text(st.characters(exclude_categories=("Cs",)), min_size=1500, max_size=2500)
ODD = st.sampled_from(["", " ", "\x00", "२", "２", "²", "⁴", "Ⅻ", "-1", "1e3", "0x1", "१०", "٣", "🙏", "2️⃣",
                       "STOP", "stop!!", "  StOp  ", "START", "LANG xx", "भाषा हिंदी", "'; DROP TABLE inbound;--",
                       "<script>alert(1)</script>", "%00", "\u202e2", "9" * 40, "1" * 3, "a" * 201])
BODY = st.one_of(TEXT, LONG, ODD)


# -- the parser ----------------------------------------------------------------------------------
@given(TEXT)
@settings(max_examples=examples("parser.normalize", 400))
def test_normalize_never_raises_and_is_tidy(text):
    tally("parser.normalize")
    out = normalize(text)
    assert out == " ".join(out.split()) and out == out.casefold() or not out.isascii()
    assert words(text) == out.split()


@given(st.one_of(TEXT, ODD), st.integers(-5, 10), st.integers(0, 1000))
@settings(max_examples=examples("parser.parse_number", 400))
def test_parse_number_is_none_or_in_range(text, low, high):
    tally("parser.parse_number")
    value = parse_number(text, low, high)
    assert value is None or (isinstance(value, int) and low <= value <= high)


OPTIONS = st.lists(st.one_of(TEXT, st.lists(st.one_of(TEXT, st.none()), max_size=3)), min_size=1, max_size=6)


@given(st.one_of(TEXT, ODD), OPTIONS)
@settings(max_examples=examples("parser.parse_choice", 400))
def test_parse_choice_is_none_or_an_option(text, options):
    tally("parser.parse_choice")
    choice = parse_choice(text, options)
    assert choice is None or (isinstance(choice, int) and 1 <= choice <= len(options))


@given(st.integers(1, 4), st.sampled_from(["{}", " {} ", "{}.", "({})", "option {}", "answer {}"]),
       st.sampled_from(["0123456789", "०१२३४५६७८९", "０１２３４５６７８９", "٠١٢٣٤٥٦٧٨٩"]))
def test_a_number_in_any_script_or_wrapping_names_its_option(n, wrapping, digits):
    assert parse_choice(wrapping.format(digits[n]), ["a", "b", "c", "d"]) == n


@given(st.one_of(TEXT, ODD))
@settings(max_examples=examples("parser.match_keyword", 400))
def test_match_keyword_is_none_or_a_known_command(text):
    tally("parser.match_keyword")
    found = keywords.match_keyword(text)
    if found is not None:
        kind, arg = found
        assert kind in languages.COMMANDS and (arg is None or isinstance(arg, str))


@given(st.sampled_from(sorted(languages.current().commands)), st.sampled_from(["{}", "{}!", " {} ", "{}.", "*{}*"]))
def test_every_keyword_is_recognised_in_any_case_and_punctuation(word, wrapping):
    text = wrapping.format(word.upper() if word.isascii() else word)
    assert keywords.match_keyword(text) == (languages.current().commands[word], None)


# -- the webhooks --------------------------------------------------------------------------------
def _post_checked(twilio_post, path, params, *, kind=None):
    response = twilio_post(path, params)
    assert response.status_code in (200, 204, 400), (response.status_code, params, response.data[:300])
    if response.status_code == 200:
        twiml_schema.assert_valid(response, kind=kind)
    return response


@pytest.fixture
def quizzed(app, learning):
    """Asha and Ravi with their first question sent: replies reach the grading path."""
    dispatch_once(app=app)
    return learning


SIDS = st.one_of(st.just(None), st.builds(lambda: "SM" + uuid.uuid4().hex), TEXT, st.just("SMreplayed"))
SENDERS = st.one_of(st.sampled_from([ASHA, RAVI, "+15550000000", "", "not a phone", ASHA + " "]), TEXT)
ANSWERS = st.sampled_from(["1", "2", "3", "4", "5", "२", " B. ", "payee name", "0", "skip"])


@given(sid=SIDS, sender=st.one_of(st.none(), SENDERS), body=st.one_of(st.none(), BODY, ANSWERS),
       to=st.one_of(st.none(), TEXT), extra=st.dictionaries(TEXT, TEXT, max_size=3))
@settings(WEBHOOK, max_examples=examples("webhook.sms", 60))
def test_the_sms_webhook_survives_anything(app, db, quizzed, twilio_post, sid, sender, body, to, extra):
    assume("" not in extra)
    tally("webhook.sms")
    params = {k: v for k, v in {**extra, "MessageSid": sid, "From": sender, "Body": body, "To": to}.items()
              if v is not None}
    first = _post_checked(twilio_post, "/twilio/sms", params, kind="messaging")
    again = _post_checked(twilio_post, "/twilio/sms", params, kind="messaging")  # Twilio's retry
    assert again.status_code == first.status_code
    if first.status_code == 200:
        assert again.data == first.data  # the same answer, not a second grading
    assert_store_sound(db, params)


STATUSES = st.one_of(st.sampled_from(["queued", "sent", "delivered", "undelivered", "failed", "read", "DELIVERED"]),
                     TEXT)
CODES = st.one_of(st.none(), st.sampled_from(["30003", "21610", "30006", "", "²", "１２", "99999999", "-1"]), TEXT)


@given(status=STATUSES, code=CODES, known=st.booleans(), sid=SIDS)
@settings(WEBHOOK, max_examples=examples("webhook.status", 60))
def test_the_status_webhook_survives_anything(app, db, learning, twilio_post, status, code, known, sid):
    from app.models import Outbox

    tally("webhook.status")
    if known and not db.exec(select(Outbox).where(Outbox.sid.is_not(None))).first():
        dispatch_once(app=app)
    if known:
        sid = db.exec(select(Outbox.sid).where(Outbox.sid.is_not(None))).first()
    params = {k: v for k, v in {"MessageSid": sid, "MessageStatus": status, "ErrorCode": code}.items() if v is not None}
    response = twilio_post("/twilio/status", params)
    assert response.status_code in (204, 400), (response.status_code, params)
    assert_store_sound(db, params)


VOICE_LEARNERS = """phone,name,site,language,cohort,channel
+919876543212,Meena Rao,Andheri Mall,hi,andheri-march,voice
+919876543213,Sunil Das,Andheri Mall,en,andheri-march,both
"""


@pytest.fixture
def calling(app, db, clock):
    """Two voice learners whose quiz calls have been placed: the tokens in those calls'
    URLs lead the voice webhooks to a real call, prompt and question."""
    from app.learning.sessions import complete_session
    from app.models import VoiceCall

    module = make_module(db)
    make_learners(db, clock.now(), VOICE_LEARNERS)
    complete_session(db=db, cohort=cohort(db), module=module, held_at=clock.now(), now=clock.now())
    db.commit()
    dispatch_once(app=app)
    calls = db.exec(select(VoiceCall)).all()
    assert calls
    return {"tokens": [c.token for c in calls], "prompts": [str(i) for c in calls for i in c.prompt_ids]}


VOICE_PATHS = st.sampled_from(["/twilio/voice", "/twilio/voice/answer", "/twilio/voice/incoming",
                               "/twilio/call-status"])
ODD_NUMBERS = st.sampled_from(["1", "0", "-1", "²", "999999999999", ""])
VOICE_FORM = st.fixed_dictionaries({}, optional={
    "CallSid": st.one_of(st.builds(lambda: "CA" + uuid.uuid4().hex), TEXT),
    "From": st.one_of(SENDERS, st.sampled_from(["+919876543212", "+919876543213"])), "To": TEXT,
    "Digits": st.one_of(st.sampled_from(["1", "2", "3", "#", "*", "12", "", "²"]), TEXT),
    "SpeechResult": BODY, "CallStatus": st.one_of(st.sampled_from(["completed", "busy", "no-answer", "failed",
                                                                   "in-progress", "canceled"]), TEXT),
    "CallDuration": st.one_of(st.sampled_from(["12", "-3", "²", "1e9"]), TEXT)})


@given(path=VOICE_PATHS, form=VOICE_FORM, data=st.data())
@settings(WEBHOOK, max_examples=examples("webhook.voice", 30))
def test_the_voice_webhooks_survive_anything(app, db, calling, twilio_post, path, form, data):
    tally("webhook.voice")
    real = {"call": st.sampled_from(calling["tokens"]), "prompt": st.sampled_from(calling["prompts"]),
            "try": st.sampled_from(["1", "2", "3"])}
    query = data.draw(st.dictionaries(st.sampled_from(["call", "prompt", "try"]), st.none(), max_size=3), label="keys")
    query = {k: data.draw(st.one_of(real[k], ODD_NUMBERS, TEXT), label=k) for k in query}
    url = path + ("?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items()) if query else "")
    response = twilio_post(url, form)
    assert response.status_code in (200, 204, 400), (response.status_code, url, form, response.data[:300])
    if response.status_code == 200:
        twiml_schema.assert_valid(response, kind="voice")
    assert_store_sound(db, (url, form))


WEBHOOK_PATHS = ["/twilio/sms", "/twilio/status", "/twilio/voice", "/twilio/voice/answer",
                 "/twilio/voice/incoming", "/twilio/call-status"]
FORGERIES = st.sampled_from(["none", "empty", "garbage", "other token", "other url", "other params", "twice"])


# A header value cannot hold a line break (HTTP has no way to send one; the test client
# refuses it): the long run's first find was this harness sending one.
@given(path=st.sampled_from(WEBHOOK_PATHS), forgery=FORGERIES, body=st.one_of(BODY, ANSWERS),
       sender=st.sampled_from([ASHA, RAVI]),
       signature=st.text(st.characters(exclude_characters="\r\n", exclude_categories=("Cs",)), max_size=60))
@settings(WEBHOOK, max_examples=examples("webhook.unsigned", 40))
def test_unsigned_and_forged_webhooks_are_refused_and_change_nothing(app, db, quizzed, client, path, forgery,
                                                                     body, sender, signature):
    """Everything but Twilio's own signature over this URL and these fields gets 403 and
    leaves the database exactly as it was."""
    from twilio.request_validator import RequestValidator

    tally("webhook.unsigned")
    params = {"MessageSid": "SM" + uuid.uuid4().hex, "CallSid": "CA" + uuid.uuid4().hex, "From": sender,
              "Body": body, "MessageStatus": "undelivered", "CallStatus": "busy", "Digits": body[:4]}
    headers = {"none": {}, "empty": {"X-Twilio-Signature": ""}, "garbage": {"X-Twilio-Signature": signature},
               "other token": {"X-Twilio-Signature": RequestValidator("not-our-token").compute_signature(
                   PUBLIC_URL + path, params)},
               "other url": {"X-Twilio-Signature": sign("https://evil.example" + path, params)},
               "other params": {"X-Twilio-Signature": sign(PUBLIC_URL + path, {**params, "Body": body + "!"})},
               "twice": {"X-Twilio-Signature": sign(PUBLIC_URL + path, params) * 2}}[forgery]
    before = _snapshot(db)
    response = client.post(path, data=params, headers=headers)
    assert response.status_code == 403, (forgery, response.status_code)
    assert _snapshot(db) == before


def _snapshot(db) -> tuple:
    from app.models import Outbox, Prompt

    db.expire_all()
    return tuple(db.exec(select(func.count()).select_from(t)).one() for t in (Inbound, Answer, Feedback, Outbox)) + (
        tuple(db.exec(select(Prompt.id, Prompt.status).order_by(Prompt.id)).all()),)


RAW = st.lists(st.one_of(st.binary(max_size=40), st.sampled_from([b"%FF", b"%C3", b"%00", b"%E2%80%AE", b"&", b"=",
                                                                   b"Body=", b"From=%2B919876543210", b"+", b"%"])),
               max_size=12).map(b"".join)


@given(raw=RAW)
@settings(WEBHOOK, max_examples=examples("webhook.sms_raw_bytes", 60))
def test_raw_form_bytes_invalid_utf8_included(app, db, quizzed, client, raw):
    """A body no client library would build, signed over what the server will read."""
    tally("webhook.sms_raw_bytes")
    body = b"MessageSid=SM" + uuid.uuid4().hex.encode() + b"&" + raw
    form = MultiDict(parse_qsl(body.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="replace"))
    headers = {"X-Twilio-Signature": sign(PUBLIC_URL + "/twilio/sms", form),
               "Content-Type": "application/x-www-form-urlencoded"}
    response = client.post("/twilio/sms", data=body, headers=headers)
    assert response.status_code in (200, 400, 403), response.status_code
    if response.status_code == 200:
        twiml_schema.assert_valid(response, kind="messaging")
    assert_store_sound(db)


def test_huge_posts_are_refused_not_crashed(client, twilio_post, db, learning):
    huge_body = {"MessageSid": "SM" + uuid.uuid4().hex, "From": ASHA, "Body": "2" * 2_000_000}
    assert twilio_post("/twilio/sms", huge_body).status_code == 413
    many = {f"f{i}": "x" for i in range(5000)} | {"MessageSid": "SM" + uuid.uuid4().hex, "From": ASHA, "Body": "2"}
    assert twilio_post("/twilio/sms", many).status_code in (200, 413)  # 48 KB: under the cap
    wide = {f"f{i}": "x" * 20 for i in range(5000)} | {"MessageSid": "SM" + uuid.uuid4().hex, "From": ASHA}
    assert twilio_post("/twilio/sms", wide).status_code == 413
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    unsigned = client.post("/twilio/sms", data=b"x" * 20_000_000, headers=form)
    assert unsigned.status_code == 403  # refused before the body is read
    forged = client.post("/twilio/sms", data=b"x" * 20_000_000, headers={**form, "X-Twilio-Signature": "AAAA"})
    assert forged.status_code == 413
    assert db.exec(select(func.count(Inbound.id))).one() <= 1
    # Twilio's largest real message still fits: 1,600 four-byte characters, percent-encoded.
    largest = {"MessageSid": "SM" + uuid.uuid4().hex, "From": ASHA, "Body": "🙏" * 1600, "To": "+15005550006"}
    assert twilio_post("/twilio/sms", largest).status_code == 200


def test_long_and_control_character_bodies_are_stored_bounded_and_answered(app, db, learning, twilio_post):
    dispatch_once(app=app)
    for body in ["x" * 5000, "\x00\x01\x1b[31m2\x7f", "२" * 1700, "🙏" * 900]:
        response = twilio_post("/twilio/sms", {"MessageSid": "SM" + uuid.uuid4().hex, "From": ASHA, "Body": body})
        twiml_schema.assert_valid(response, kind="messaging")
    assert_store_sound(db)
    stored = [r.body for r in db.exec(select(Inbound).order_by(Inbound.id))]
    assert [len(b) for b in stored] == [1600, 5, 1600, 900] and stored[1] == "[31m2"  # controls dropped


@pytest.mark.slow
@given(sid=SIDS, sender=st.one_of(st.none(), SENDERS), body=st.one_of(st.none(), BODY))
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
def test_the_sms_webhook_survives_anything_at_length(app, db, learning, twilio_post, sid, sender, body):
    params = {k: v for k, v in {"MessageSid": sid, "From": sender, "Body": body}.items() if v is not None}
    _post_checked(twilio_post, "/twilio/sms", params, kind="messaging")
    assert_store_sound(db)

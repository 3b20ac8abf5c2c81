"""The channel seam: one registry, routes per learner setting, and each channel's answers
to the questions scheduling asks it (no channel module imported by scheduling)."""
from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from app.channels.options import ChannelOptions
from app.channels.registry import channels
from app.channels.whatsapp import WhatsAppOptions
from app.models import Answer, Item, Learner, Outbox, Prompt, Site
from app.reports.costs import price_table
from app.reports.delivery import value_by_channel
from tests.factories import make_learners, make_module

ROOT = Path(__file__).resolve().parent.parent


def test_routes_and_fallbacks_per_learner_setting():
    assert [c.name for c in channels.route("both")] == ["sms", "voice"]
    assert [c.name for c in channels.route("whatsapp")] == ["whatsapp", "sms"]
    assert channels.for_learner("voice").outbox_kind == "call"
    assert channels.for_learner("nonsense").name == "sms"
    learner = Learner(phone="+919800000000", name="x", site_id=1, channel="whatsapp")
    assert [c.name for c in channels.fallbacks(learner, channels.named("whatsapp"))] == ["sms"]
    assert set(channels.learner_choices()) == {"sms", "voice", "both", "whatsapp"}


def test_answers_are_read_the_same_way_whatever_the_channel():
    assert channels.named("sms").answer_text({"Body": "2"}) == "2"
    assert channels.named("voice").answer_text({"Digits": "3"}) == "3"
    whatsapp = channels.named("whatsapp")
    assert whatsapp.answer_text({"Body": "2. Refuse…", "ButtonText": "2. Refuse…", "ButtonPayload": "p7.2"}) == "2"
    assert whatsapp.answer_text({"Body": "x", "ButtonText": "Yes", "ButtonPayload": "forged"}) == "Yes"


def test_scheduling_and_learning_import_no_channel_module():
    """The seam holds: scheduling and learning reach channels only through app.channels'
    registry and shared modules, never app.voice or a channel's own module."""
    own = {"app.channels.sms", "app.channels.voice", "app.channels.whatsapp", "app.channels.whatsapp_inbound"}
    for folder in ("scheduling", "learning"):
        for path in (ROOT / "app" / folder).glob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom) and node.module:
                    assert not node.module.startswith("app.voice"), (path.name, node.module)
                    assert node.module not in own, (path.name, node.module)


def test_a_feedback_reply_refused_for_the_window_goes_by_sms(app, db, clock):
    now = clock.now()
    asha, _ravi = make_learners(db, now)
    asha.channel, asha.whatsapp_open_until = "whatsapp", now + timedelta(hours=1)
    row = Outbox(learner_id=asha.id, kind="whatsapp", purpose="reply", to_number=asha.phone, body="Correct!",
                 status="accepted", sid="SMx", next_attempt_at=now, created_at=now, updated_at=now)
    db.add_all([asha, row])
    db.flush()
    options = ChannelOptions(whatsapp=WhatsAppOptions())
    channels.for_row(row).apply_status(db, row, "failed", error_code=63016, now=now, options=options)
    db.flush()
    assert asha.whatsapp_open_until is None and row.status == "failed"
    sms = db.exec(select(Outbox).where(Outbox.kind == "sms")).all()
    assert [(r.body, r.to_number) for r in sms] == [("Correct!", asha.phone)]
    # The same callback again changes nothing: nothing is sent twice.
    channels.for_row(row).apply_status(db, row, "failed", error_code=63016, now=now, options=options)
    db.flush()
    assert len(db.exec(select(Outbox).where(Outbox.kind == "sms")).all()) == 1


def test_dlt_learners_go_in_bulk_with_their_ids_unless_no_template_matches(app, db):
    site = Site(name="Pune", dlt_entity_id="1101234567890123456", dlt_header="SAATHI")
    sms = channels.named("sms")
    templates = {"dlt": {"question": {"en": {"template_id": "1107000000000000009", "text": "Q: {#var#}?"}}}}
    assert sms.bulk_for("+919800000000", site)
    assert sms.bulk_columns("+919800000000", site, language="en", body="Q: UPI PIN?", templates=templates) == {
        "dlt_entity_id": "1101234567890123456", "dlt_template_id": "1107000000000000009", "sender": "SAATHI"}
    assert sms.bulk_columns("+919800000000", site, language="en", body="Other text", templates=templates) is None
    assert sms.bulk_columns("+4791000000", site, language="en", body="Other text", templates=templates) == {}
    assert sms.bulk_columns("+919800000000", Site(name="x"), language="en", body="x", templates=None) == {}


def test_cost_per_item_remembered_per_channel(app, db, clock):
    now = clock.now()
    asha, _ravi = make_learners(db, now)
    make_module(db)
    item = db.exec(select(Item)).first()

    def out(kind, purpose="prompt", status="delivered", segments=1, duration=None):
        db.add(Outbox(learner_id=asha.id, kind=kind, purpose=purpose, to_number=asha.phone, body="x",
                      segments=segments, status=status, duration_seconds=duration, next_attempt_at=now,
                      created_at=now, updated_at=now))

    out("sms", segments=2), out("sms", status="cancelled", segments=5)  # a cancelled SMS costs nothing
    out("whatsapp", "opener", "read"), out("whatsapp", "reply", "read"), out("whatsapp", "reply", "read")
    out("call", status="completed", duration=61)  # two started minutes
    for channel, correct in (("sms", True), ("sms", True), ("whatsapp", True), ("whatsapp", False)):
        prompt = Prompt(learner_id=asha.id, kind="review", item_id=item.id, due_at=now, created_at=now)
        db.add(prompt)
        db.flush()
        db.add(Answer(learner_id=asha.id, prompt_id=prompt.id, item_id=item.id, kind="review", raw="1", choice=1,
                      correct=correct, channel=channel, answered_at=now))
    db.flush()
    india = price_table({})["IN"]
    rows = {r.kind: r for r in value_by_channel(db=db, site_ids=None, prices=india)}
    assert rows["sms"].cost == round(2 * india.sms_segment, 2) and rows["sms"].remembered == 2
    assert rows["whatsapp"].cost == round(india.whatsapp(templates=1, messages=3), 2)
    assert rows["whatsapp"].per_item == rows["whatsapp"].cost  # one review right
    assert rows["call"].cost == round(2 * india.voice_minute, 2) and rows["call"].per_item is None

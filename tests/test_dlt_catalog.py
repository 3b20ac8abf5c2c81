"""DLT beyond the pack's texts: the catalog's replies ("Correct!", keyword answers, check-ins)
and two texts joined in one SMS. At a DLT site a reply goes through the outbox with its
template ID (TwiML carries none), and one no template matches is held back, with the
reason the supervisor sees; never sent, never retried."""
from __future__ import annotations

import pytest
from sqlmodel import select

from app.channels import dlt
from app.content import dlt_catalog
from app.i18n import LANGUAGES
from app.journeys import checkins, milestones
from app.learning import texts
from app.models import Item, Outbox, Pack, Prompt, Site
from app.reports import delivery
from app.scheduling.dispatcher import dispatch_once
from tests.factories import held_session
from tests.test_webhooks_sms import inbound, messages_in

ENTITY, HEADER = "1101234567890123456", "SAATHI"


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_the_catalog_entries_are_the_texts_saathi_sends(lang):
    """``dlt_catalog`` names the message ids the engine uses: a changed text shows here first."""
    rendered = {kind: text for kind, _entry, text in dlt_catalog.catalog_messages(lang)}
    assert rendered["correct"] == texts.correct_text(lang)
    assert rendered["thanks_rating"] == texts.thanks_rating_text(lang)
    assert rendered["thanks_comment"] == texts.thanks_comment_text(lang)
    assert rendered["reask_rating"] == texts.reask_rating_text(lang)
    assert rendered["help"] == texts.help_text(lang)
    assert rendered["stop"] == texts.stopped_text(lang)
    assert rendered["start"] == texts.started_text(lang)
    assert rendered["lang"] == texts.language_set_text(lang)
    assert rendered["lang_unknown"] == texts.language_unknown_text(lang)
    assert rendered["nothing_pending"] == texts.nothing_pending_text(lang)
    assert rendered["no_practice"] == texts.no_practice_text(lang)
    assert rendered["score"] == texts.score_text(lang, name="Lakshminarayanan", answered=1234, correct=1234,
                                                 learned=123, total=456)
    assert rendered["checkin"] == checkins.question_text(lang)
    assert texts.reminder_text(lang, "X") == dlt_catalog.prefix("reminder", lang) + " X"
    assert texts.reask_choice_text(lang, 3) == dlt_catalog.prefix("reask", lang, 3)
    # every catalog template matches its own text (the {#var#} where the sample values went)
    for entry in dlt_catalog.CATALOG:
        assert dlt.mismatch(entry.template(lang), entry.render(lang)) is None, entry.kind


def test_the_built_in_milestones_are_registered_as_saathi_asks_them(ravi, db, clock):
    """A milestone question as the learner gets it matches its catalog entry, in each language."""
    rendered = {lang: {kind: text for kind, _entry, text in dlt_catalog.catalog_messages(lang)} for lang in LANGUAGES}
    for m in milestones.BUILT_IN:
        prompt = milestones.ask(db, learner=ravi, key=m.key, now=clock.now())
        db.flush()
        for lang in sorted(LANGUAGES):
            assert rendered[lang][f"milestone_{m.key}"] == milestones.question_text(db, prompt, lang), (m.key, lang)
    assert {"milestone_done", "milestone_later"} <= set(rendered["hi"])


@pytest.fixture
def ravi(app, db, clock):
    """Ravi at a DLT site, his quiz's first message registered and sent, Q1 pending; the
    pack registers "Correct!" with Q2 joined, and not the HELP answer."""
    learner = held_session(db, clock.now(), "phone,name,site,language,cohort\n"
                                            "+919820000031,Ravi Kumar,Andheri Mall,en,andheri-march\n")[0]
    site = db.exec(select(Site)).one()
    site.dlt_entity_id, site.dlt_header = ENTITY, HEADER
    items = db.exec(select(Item).order_by(Item.position)).all()
    greeting = ("Thank you for today's session on UPI safety. Reply with the number of your answer.\n\n"
                + texts.question_text(items[0], "en", 1, 3))
    pack = db.exec(select(Pack)).one()
    pack.templates = {"dlt": {
        "greeting": {"en": {"template_id": "1107000000000000001", "text": greeting}},
        "correct+question": {"en": {"template_id": "1107000000000000002",
                                    "text": "Correct!\nQ{#var#} " + items[1].question["en"]
                                            + "".join(f"\n{n}) {{#var#}}" for n in range(1, 4))}}}}
    db.add_all([site, pack])
    db.commit()
    dispatch_once(app=app)
    return learner


def test_a_dlt_sites_reply_goes_through_the_outbox_with_its_template(app, db, ravi, twilio_post):
    first = db.exec(select(Outbox)).one()
    assert (first.dlt_template_id, first.sender) == ("1107000000000000001", HEADER)
    assert first.status in ("sent", "delivered")
    replies = messages_in(twilio_post("/twilio/sms", inbound("SMdlt1", ravi.phone, "2")))
    assert replies == []  # not as TwiML: it would carry no template ID
    row = db.exec(select(Outbox).where(Outbox.purpose == "reply")).one()
    assert row.body.startswith("Correct!\nQ2/3") and row.status == "queued"
    assert (row.dlt_entity_id, row.dlt_template_id, row.sender) == (ENTITY, "1107000000000000002", HEADER)


def test_an_unregistered_reply_is_held_back_and_shown_never_sent(app, db, ravi, twilio_post, clock):
    assert messages_in(twilio_post("/twilio/sms", inbound("SMdlt2", ravi.phone, "HELP"))) == []
    row = db.exec(select(Outbox).where(Outbox.purpose == "reply")).one()
    assert row.body == texts.help_text("en") and row.status == "failed" and row.dlt_template_id is None
    assert row.error_message == dlt.UNREGISTERED_REASON
    dispatch_once(app=app)
    db.expire_all()
    assert db.get(Outbox, row.id).status == "failed" and db.get(Outbox, row.id).sid is None  # never picked up
    [shown] = delivery.dlt_refusals(db=db, site_ids=None)
    assert shown.outbox_id == row.id and shown.reason == dlt.UNREGISTERED_REASON and shown.name == "Ravi Kumar"


def test_an_unregistered_question_is_closed_not_put_again(app, db, ravi, twilio_post, clock):
    """Q1 answered wrong: the explanation and Q2 go apart, neither registered: both held back;
    the pending Q2 is closed, so it is not put again at every pass."""
    twilio_post("/twilio/sms", inbound("SMdlt3", ravi.phone, "1"))
    held = db.exec(select(Outbox).where(Outbox.purpose == "reply").order_by(Outbox.id)).all()
    assert len(held) == 2 and all(r.status == "failed" and r.error_message == dlt.UNREGISTERED_REASON
                                  for r in held)
    assert held[0].body.startswith("The answer is") and held[1].body.startswith("Q2/3")
    assert db.get(Prompt, held[1].prompt_id).status == "expired"  # not put again at every pass
    dispatch_once(app=app)
    assert db.exec(select(Prompt).where(Prompt.learner_id == ravi.id, Prompt.status == "pending")).first() is None

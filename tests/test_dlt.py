"""India's DLT end to end: an SMS to an Indian learner goes from the site's registered
header with its entity and template IDs; one the carrier drops for not matching what is
registered (the fake Twilio applies the rule) is recorded with its reason, not retried,
and shown to the supervisor."""
from __future__ import annotations

from sqlmodel import select

from app.db import session_scope
from app.learning.sessions import complete_session
from app.models import Outbox, Pack, Prompt
from app.reports import delivery
from app.scheduling.dispatcher import dispatch_once
from tests.factories import callbacks_applied, cohort, make_module

NUMBER = "+919820000021"
CSV = f"""phone,name,site,language,cohort
{NUMBER},Ravi Kumar,Andheri Mall,en,andheri-march
"""
ENTITY, HEADER = "1101234567890123456", "SAATHI"
GREETING = ("Thank you for today's session on {#var#}. Reply with the number of your answer.\n\n"
            "Q{#var#} {#var#}{#var#}{#var#}\n1) {#var#}\n2) {#var#}\n3) {#var#}")
TEMPLATES = {"dlt": {"greeting": {"en": {"template_id": "1107000000000000001", "text": GREETING}}}}


def start(app, fake, tmp_path, clock, *, registered_at_carrier: list[str]):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["sites", "add", "Andheri Mall", "--country", "IN"]).exit_code == 0
    result = runner.invoke(args=["sites", "dlt", "Andheri Mall", "--entity-id", ENTITY, "--header", "saathi"])
    assert result.exit_code == 0 and f"DLT entity {ENTITY}, header {HEADER}" in result.output
    (tmp_path / "in.csv").write_text(CSV)
    assert runner.invoke(args=["learners", "import", str(tmp_path / "in.csv")]).exit_code == 0
    fake.dlt_templates[HEADER] = registered_at_carrier
    with app.app_context(), session_scope(app) as db:
        module = make_module(db)
        db.get(Pack, module.pack_id).templates = TEMPLATES
        complete_session(db=db, cohort=cohort(db), module=module, held_at=clock.now(), now=clock.now())
    dispatch_once(app=app)
    callbacks_applied(app, fake)


def test_sms_to_india_carry_the_sites_header_and_ids(live_app, fake_twilio, tmp_path, clock):
    start(live_app, fake_twilio, tmp_path, clock, registered_at_carrier=[GREETING])
    [sent] = [m for m in fake_twilio.messages if m["to"] == NUMBER]
    assert sent["_params"]["From"] == HEADER and sent["body"].startswith("Thank you for today's session")
    with live_app.app_context(), session_scope(live_app) as db:
        row = db.exec(select(Outbox).where(Outbox.to_number == NUMBER)).one()
        assert (row.dlt_entity_id, row.dlt_template_id, row.sender) == (ENTITY, "1107000000000000001", HEADER)
        assert row.status == "delivered"


def test_a_template_mismatch_is_recorded_not_retried_and_shown(live_app, fake_twilio, tmp_path, clock):
    old = GREETING.replace("Reply with the number", "Reply with the digit")  # what the operator holds
    start(live_app, fake_twilio, tmp_path, clock, registered_at_carrier=[old])
    dispatch_once(app=live_app)  # the refused text never goes again; the quiz moves on
    with live_app.app_context(), session_scope(live_app) as db:
        first, *later = db.exec(select(Outbox).where(Outbox.to_number == NUMBER).order_by(Outbox.id)).all()
        assert (first.status, first.error_code) == ("undelivered", 30007)
        assert "does not match DLT template (1107000000000000001)" in first.error_message
        assert db.get(Prompt, first.prompt_id).status == "expired"  # not asked again in words no template allows
        assert all(row.prompt_id != first.prompt_id for row in later)
        refusals = delivery.dlt_refusals(db=db, site_ids=None)
        [refusal] = [r for r in refusals if r.template_id]  # the carrier's refusal
        assert refusal.template_id == "1107000000000000001" and refusal.name == "Ravi Kumar"
        # Q2 has no registered template here: held back, not sent, and listed for the supervisor too.
        held = [r for r in refusals if not r.template_id]
        assert held and all(r.reason.startswith("not sent: no registered DLT template") for r in held)
    bodies = [m["body"] for m in fake_twilio.messages if m["to"] == NUMBER]
    assert sum(body.startswith("Thank you for today's session") for body in bodies) == 1

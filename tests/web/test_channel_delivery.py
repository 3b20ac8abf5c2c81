"""The site dashboard compares channels (delivered, read) and shows the SMS Indian carriers
refused for DLT, to the supervisors of that site only."""
from __future__ import annotations

from sqlmodel import select

from app.models import Learner, Outbox
from tests.web.conftest import app_db
from tests.web.test_dashboard import text_of


def test_read_rates_per_channel_and_dlt_refusals_on_the_site_page(web_app, as_user, world, clock):
    now = clock.now()
    with app_db(web_app) as db:
        asha = db.exec(select(Learner).where(Learner.phone == "+919876543210")).one()
        for status in ("read", "read", "delivered", "undelivered"):
            db.add(Outbox(learner_id=asha.id, kind="whatsapp", purpose="prompt", to_number=asha.phone, body="Q",
                          segments=1, status=status, next_attempt_at=now, created_at=now, updated_at=now))
        db.add(Outbox(learner_id=asha.id, kind="sms", purpose="prompt", to_number=asha.phone, body="Q1/3 …",
                      status="undelivered", error_code=30007, dlt_entity_id="1101234567890123456",
                      dlt_template_id="1107000000000000009", next_attempt_at=now, created_at=now, updated_at=now,
                      error_message="refused by Indian carriers: text does not match DLT template (1107000000000000009)"))
    page = text_of(as_user("supervisor_a").get(f"/sites/{world.site_a}").data.decode())
    assert "Delivery by channel" in page
    whatsapp = page.split("WhatsApp", 1)[1].split("\n", 1)[0]
    assert "4" in whatsapp and "75 %" in whatsapp and "67 %" in whatsapp  # 3 of 4 delivered, 2 of 3 read
    assert "Cost per item remembered" in page and "WhatsApp" in page.split("Cost per item remembered", 1)[1]
    assert "SMS refused by Indian carriers (DLT)" in page
    assert "The text no longer matches DLT template 1107000000000000009." in page
    other = text_of(as_user("supervisor_b").get(f"/sites/{world.site_b}").data.decode())
    assert "1107000000000000009" not in other and "refused by Indian carriers" not in other


def test_a_trainer_moves_a_learner_to_whatsapp_through_the_form(web_app, world, as_user):
    from tests.web.test_learner_edits import details, learner

    trainer = as_user("trainer_a")
    assert 'value="whatsapp"' in trainer.get(f"/workspace/learners/{world.asha}").data.decode()
    asha = learner(web_app, world.asha)
    assert trainer.post(f"/workspace/learners/{world.asha}", data=details(asha, channel="whatsapp")).status_code == 302
    assert learner(web_app, world.asha).channel == "whatsapp"
    page = text_of(as_user("supervisor_a").get(f"/learners/{world.asha}").data.decode())
    assert "Channel: SMS → WhatsApp, and SMS if it cannot reach them" in page

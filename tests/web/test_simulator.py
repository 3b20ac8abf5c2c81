"""The phone simulator: a trainer creates a test learner, holds a session, sends the due
prompts and answers the quiz, all through the real engine and the console transport."""
from __future__ import annotations

import random

import phonenumbers
from sqlmodel import select

from app.models import Answer, Feedback, Inbound, Learner, Site
from app.web.simulator.channels import CHANNELS, register_channel
from app.web.simulator.thread import free_test_number
from tests.web.conftest import app_db
from tests.web.test_dashboard import text_of


def bubbles(html: str) -> list[str]:
    import re

    return [text_of(b).strip() for b in re.findall(r'<div class="bubble (?:in|out)"[\s\S]*?</div>', html)]


def test_a_trainer_answers_a_quiz_as_a_test_learner(web_app, as_user, world):
    client = as_user("trainer_a")
    response = client.post("/simulator/learners", data={"site": world.site_a, "cohort": "", "name": "Sim Sunita",
                                                        "language": "en"})
    assert response.status_code == 302
    location = response.headers["Location"]
    with app_db(web_app) as db:
        sim = db.exec(select(Learner).where(Learner.name == "Sim Sunita")).one()
        assert sim.site_id == world.site_a and phonenumbers.is_valid_number(phonenumbers.parse(sim.phone))
        cohort_id = sim.cohort_id
    assert location == f"/simulator/{sim.id}"
    assert "No messages yet." in text_of(client.get(location).data.decode())

    client.post("/workspace/sessions", data={"cohort": cohort_id, "module": world.module,
                                             "held_at": "2026-03-02T14:00"})
    page = client.post("/simulator/dispatch", data={"learner": sim.id}, follow_redirects=True).data.decode()
    assert "Dispatch pass: 1 prompts planned, 1 messages sent" in text_of(page)
    thread = bubbles(page)
    assert thread[-1].startswith("Thank you for today's session on UPI safety") and "Q1/3" in thread[-1]

    for reply in ("2", "1", "1", "5", "Great simulator"):
        page = client.post(f"/simulator/{sim.id}/send", data={"body": reply, "channel": "sms"},
                           follow_redirects=True).data.decode()
    thread = bubbles(page)
    assert thread[1].startswith("2 ") and thread[2].startswith("Correct!") and "Q2/3" in thread[2]
    assert thread[4].startswith("The answer is 2:")
    assert "trainer will read this" in thread[-1]
    with app_db(web_app) as db:
        answers = db.exec(select(Answer).where(Answer.learner_id == sim.id).order_by(Answer.id)).all()
        assert [a.correct for a in answers] == [True, False, True]
        assert db.exec(select(Feedback).where(Feedback.learner_id == sim.id, Feedback.comment.is_not(None))).one()
        sids = db.exec(select(Inbound.sid).where(Inbound.learner_id == sim.id)).all()
        assert len(sids) == 5 and all(s.startswith("SIM") for s in sids)


def test_an_existing_learner_can_be_simulated_and_empty_text_is_ignored(web_app, as_user, world):
    client = as_user("trainer_a")
    assert "Asha Devi" in text_of(client.get("/simulator/?q=asha").data.decode())
    page = client.post(f"/simulator/{world.asha}/send", data={"body": "   "}, follow_redirects=True).data.decode()
    before = len(bubbles(page))
    page = client.post(f"/simulator/{world.asha}/send", data={"body": "SCORE"}, follow_redirects=True).data.decode()
    assert len(bubbles(page)) == before + 2
    assert "3 answers, right: 100%" in bubbles(page)[-1]
    assert client.post(f"/simulator/{world.asha}/send", data={"body": "x", "channel": "fax"}).status_code == 400


def test_test_learner_in_a_cohort_of_another_site_is_refused(web_app, as_user, world):
    client = as_user("admin")
    response = client.post("/simulator/learners", data={"site": world.site_a, "cohort": world.cohort_b},
                           follow_redirects=True)
    assert b"That cohort belongs to another site." in response.data


def test_free_test_numbers_are_valid_and_unused(web_app, world):
    with app_db(web_app) as db:
        for site_id in (world.site_a, world.site_b):
            site = db.get(Site, site_id)
            number = free_test_number(db=db, site=site, rng=random.Random(1))
            assert phonenumbers.region_code_for_number(phonenumbers.parse(number)) == site.country
            assert db.exec(select(Learner).where(Learner.phone == number)).first() is None


def test_another_channel_can_plug_in(web_app, as_user, world):
    seen = []

    def voice(*, db, learner, text, now, env):
        seen.append((learner.id, text))
        return []

    register_channel("pager", "Pager", voice)
    try:
        client = as_user("trainer_a")
        assert b'<option value="pager">Pager</option>' in client.get(f"/simulator/{world.asha}").data
        client.post(f"/simulator/{world.asha}/send", data={"body": "2", "channel": "pager"})
        assert seen == [(world.asha, "2")]
    finally:
        CHANNELS.pop("pager")


def test_voice_as_text_through_the_simulator(as_user, world):
    client = as_user("trainer_a")
    page = client.get(f"/simulator/{world.asha}").data.decode()
    assert '<option value="voice">Voice call (keypad)</option>' in page
    page = client.post(f"/simulator/{world.asha}/send", data={"body": "call", "channel": "voice"},
                       follow_redirects=True).data.decode()
    thread = bubbles(page)
    assert thread[-2].startswith("call") and thread[-2].endswith("· call")  # typed "call", sent as a call
    assert "Press 2 for Refuse and hang up" in thread[-1] and "call" in thread[-1]  # heard, shown as a call
    page = client.post(f"/simulator/{world.asha}/send", data={"body": "2", "channel": "voice"},
                       follow_redirects=True).data.decode()
    assert bubbles(page)[-1].startswith("Correct!")


def picked(html: str) -> str | None:
    """The channel the simulator's menu has selected, and the one its dispatch button carries."""
    import re

    menu = re.search(r'<option value="(\w+)" selected>', html)
    carried = re.search(r'<input type="hidden" name="channel" value="(\w+)" data-follows="channel">', html)
    assert menu and carried and menu.group(1) == carried.group(1)
    return menu.group(1)


def test_the_simulator_keeps_the_channel_the_trainer_picked(web_app, as_user, world):
    client = as_user("trainer_a")
    assert picked(client.get(f"/simulator/{world.asha}").data.decode()) == "sms"  # Asha takes SMS
    page = client.post(f"/simulator/{world.asha}/send", data={"body": "hello", "channel": "voice"},
                       follow_redirects=True).data.decode()
    assert picked(page) == "voice" and "[waits for a key" in page
    page = client.post(f"/simulator/{world.asha}/send", data={"body": "1", "channel": "voice"},
                       follow_redirects=True).data.decode()
    assert picked(page) == "voice"
    page = client.post("/simulator/dispatch", data={"learner": world.asha, "channel": "voice"},
                       follow_redirects=True).data.decode()
    assert "Dispatch pass" in text_of(page) and picked(page) == "voice"
    page = client.post(f"/simulator/{world.asha}/send", data={"body": "SCORE", "channel": "sms"},
                       follow_redirects=True).data.decode()
    assert picked(page) == "sms"
    with app_db(web_app) as db:
        learner = db.get(Learner, world.asha)
        learner.channel = "voice"
        db.add(learner)
    assert picked(client.get(f"/simulator/{world.asha}").data.decode()) == "voice"  # a voice-only learner


def test_whatsapp_bubbles_show_tappable_buttons_that_answer(web_app, as_user, world):
    import re

    from app.channels.whatsapp import WhatsAppOptions

    web_app.extensions["saathi.whatsapp"] = WhatsAppOptions(content={"quick-reply-3": "HX" + "a" * 32})
    client = as_user("trainer_a")
    client.post("/simulator/learners", data={"site": world.site_a, "cohort": "", "name": "Sim Wasim",
                                             "language": "en"})
    with app_db(web_app) as db:
        sim = db.exec(select(Learner).where(Learner.name == "Sim Wasim")).one()
        sim.channel = "whatsapp"
        db.add(sim)
        cohort_id = sim.cohort_id
    page = client.get(f"/simulator/{sim.id}").data.decode()
    assert '<option value="whatsapp" selected>' in page  # the learner's own channel is picked
    client.post(f"/simulator/{sim.id}/send", data={"body": "Hi", "channel": "whatsapp"})  # opens the window
    client.post("/workspace/sessions", data={"cohort": cohort_id, "module": world.module,
                                             "held_at": "2026-03-02T14:00"})
    page = client.post("/simulator/dispatch", data={"learner": sim.id, "channel": "whatsapp"},
                       follow_redirects=True).data.decode()
    taps = re.findall(r'name="body" value="([^"]+)"><input type="hidden" name="payload" value="(p\d+\.\d)"', page)
    assert [t[0] for t in taps] == ["1. Tell the PIN", "2. Refuse and hang…", "3. Ask a friend"]
    assert 'class="bubble out whatsapp"' in page
    client.post(f"/simulator/{sim.id}/send", data={"body": taps[1][0], "payload": taps[1][1], "channel": "whatsapp"})
    with app_db(web_app) as db:
        assert [a.correct for a in db.exec(select(Answer).where(Answer.learner_id == sim.id))] == [True]

"""Learners' privacy: masked numbers for everyone but admins; export and erasure on request."""
from __future__ import annotations

import json

from sqlalchemy import func, or_
from sqlalchemy import select as sa_select
from sqlmodel import SQLModel, select

from app.models import Answer, Card, Feedback, Inbound, Learner, Outbox, Prompt
from app.web.dashboard.privacy import erase_learner, export_learner
from tests.web.conftest import app_db


def test_phone_numbers_are_masked_except_for_admins(as_user, world):
    for role in ("supervisor_a", "trainer_a"):
        client = as_user(role)
        for path in ("/learners", f"/learners/{world.asha}", f"/sites/{world.site_a}", f"/simulator/{world.asha}"
                     if role == "trainer_a" else "/learners"):
            html = client.get(path).data.decode()
            assert "+919876543210" not in html, (role, path)
        assert "+91 ••••• •3210" in client.get("/learners").data.decode()
    assert "+919876543210" in as_user("admin").get(f"/learners/{world.asha}").data.decode()


def test_export_has_everything_about_the_learner(web_app, world):
    with app_db(web_app) as db:
        data = export_learner(db=db, learner=db.get(Learner, world.asha))
    learner = data["learner"]
    assert learner["phone"] == "+919876543210" and learner["site"] == "Andheri Mall"
    assert [a["choice"] for a in learner["answers"]] == [2, 2, 1]
    assert [f["comment"] for f in learner["feedback"] if f["comment"]] == ["Very useful, thank you"]
    assert [m["body"] for m in data["messages_received"]] == ["2", "2", "1", "5", "Very useful, thank you"]
    assert data["messages_sent"][0]["body"].startswith("Thank you for today's session")
    assert len(data["prompts"]) == 6


def test_admin_downloads_the_export_as_json(as_user, world):
    response = as_user("admin").get(f"/learners/{world.asha}/export.json")
    assert response.mimetype == "application/json"
    assert 'attachment; filename="learner-' in response.headers["Content-Disposition"]
    assert json.loads(response.data)["learner"]["name"] == "Asha Devi"


def rows_about(db, learner_id: int, phone: str, prompt_ids: list[int]) -> dict[str, int]:
    """Rows of every table that point at the learner, their prompts or their number."""
    found = {}
    for table in SQLModel.metadata.sorted_tables:
        conditions = []
        for fk in table.foreign_keys:
            if fk.column.table.name == "learner":
                conditions.append(fk.parent == learner_id)
            elif fk.column.table.name == "prompt" and prompt_ids:
                conditions.append(fk.parent.in_(prompt_ids))
        for column in ("from_number", "to_number", "phone"):
            if column in table.c:
                conditions.append(table.c[column] == phone)
        if conditions:
            found[table.name] = db.exec(sa_select(func.count()).select_from(table).where(or_(*conditions))).one()[0]
    return found


def test_erasing_leaves_no_row_about_the_learner(web_app, world):
    with app_db(web_app) as db:
        asha = db.get(Learner, world.asha)
        prompt_ids = list(db.exec(select(Prompt.id).where(Prompt.learner_id == asha.id)).all())
        before = rows_about(db, asha.id, asha.phone, prompt_ids)
        assert before["answer"] == 3 and before["inbound"] == 5 and before["outbox"] > 0
        counts = erase_learner(db=db, learner=asha)
        assert counts["learner"] == 1 and counts["answer"] == 3 and counts["card"] == 3
    with app_db(web_app) as db:
        assert all(n == 0 for n in rows_about(db, world.asha, "+919876543210", prompt_ids).values())
        # Everyone else is untouched.
        ravi = db.get(Learner, world.ravi)
        assert len(db.exec(select(Answer).where(Answer.learner_id == ravi.id)).all()) == 3
        assert db.exec(select(Card).where(Card.learner_id == ravi.id)).all()
        assert db.exec(select(Feedback).where(Feedback.learner_id == ravi.id)).all()
        assert db.exec(select(Outbox).where(Outbox.learner_id == ravi.id)).all()
        assert db.exec(select(Inbound).where(Inbound.learner_id == ravi.id)).all()


def test_erasure_from_the_admin_page_needs_the_word_erase(web_app, as_user, world):
    client = as_user("admin")
    response = client.post(f"/learners/{world.asha}/erase", data={"confirm": "yes"}, follow_redirects=True)
    assert b"Type ERASE to confirm." in response.data
    response = client.post(f"/learners/{world.asha}/erase", data={"confirm": "erase"}, follow_redirects=True)
    assert b"Asha Devi and all their data were erased." in response.data
    assert client.get(f"/learners/{world.asha}").status_code == 404
    assert b"Asha Devi" not in client.get(f"/sites/{world.site_a}").data

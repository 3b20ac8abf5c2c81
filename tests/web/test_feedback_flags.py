"""Flagging feedback for follow-up, as a supervisor does it on the review page: each button
says what it will do, a badge shows the state, and the message says what was done to which
entry, in the supervisor's language."""
from __future__ import annotations

import re
import shutil

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from app import create_app
from app.i18n import LOCALES_DIR
from app.models import Feedback
from tests.web.conftest import app_db, csrf_token, login
from tests.web.test_dashboard import text_of


def entry(html: str, feedback_id: int) -> str:
    """The text of one entry's table row."""
    match = re.search(rf'<tr id="feedback-{feedback_id}">([\s\S]*?)</tr>', html)
    assert match, f"feedback {feedback_id} is not on the page"
    return text_of(match.group(1))


def test_flag_and_remove_flag_say_what_they_do_and_show_the_state(web_app, as_user, world):
    client = as_user("supervisor_a")
    row = entry(client.get("/feedback").data.decode(), world.feedback_a)
    assert "5 /5" in row and "“Very useful, thank you”" in row  # rating and comment in one entry
    assert "Flagged" in row and "Remove flag" in row and "Not flagged" not in row

    page = client.post(f"/feedback/{world.feedback_a}/unflag", data={"next": "/feedback"},
                       follow_redirects=True).data.decode()
    assert f"Flag removed from feedback #{world.feedback_a} from Asha Devi: marked as followed up." in text_of(page)
    row = entry(page, world.feedback_a)
    assert "Not flagged" in row and "Followed up" in row and "Remove flag" not in row
    assert re.search(r"\bFlag\b", row)

    # The same form posted twice (a double click, a stale tab) does what its button said.
    client.post(f"/feedback/{world.feedback_a}/unflag")
    with app_db(web_app) as db:
        assert not db.get(Feedback, world.feedback_a).flagged

    page = client.post(f"/feedback/{world.feedback_a}/flag", data={"next": "/feedback"},
                       follow_redirects=True).data.decode()
    assert f"Feedback #{world.feedback_a} from Asha Devi is flagged for follow-up." in text_of(page)
    row = entry(page, world.feedback_a)
    assert "Flagged" in row and "Remove flag" in row and "Followed up" not in row
    with app_db(web_app) as db:
        row = db.get(Feedback, world.feedback_a)
        assert row.flagged and row.reviewed_at is None


def test_flag_buttons_are_csrf_protected_posts(csrf_app, world):
    client = csrf_app.test_client()
    token = csrf_token(client.get("/login").data.decode())
    login_data = {"email": world.email_supervisor_a, "password": "correct horse battery", "csrf_token": token}
    assert client.post("/login", data=login_data).status_code == 302
    assert client.get(f"/feedback/{world.feedback_a}/unflag").status_code == 405
    assert client.post(f"/feedback/{world.feedback_a}/unflag").status_code == 400
    with app_db(csrf_app) as db:
        assert db.get(Feedback, world.feedback_a).flagged
    page = client.get("/feedback").data.decode()
    form = re.search(rf'<form method="post" action="/feedback/{world.feedback_a}/unflag"[\s\S]*?</form>', page)
    assert form and 'name="csrf_token"' in form.group(0)
    assert client.post(f"/feedback/{world.feedback_a}/unflag",
                       data={"csrf_token": csrf_token(form.group(0))}).status_code == 302
    with app_db(csrf_app) as db:
        assert not db.get(Feedback, world.feedback_a).flagged


def test_the_message_and_the_badge_are_in_the_supervisors_language(web_config, world, tmp_path):
    """With the shipped Hindi catalog compiled, as an install does."""
    folder = tmp_path / "locales" / "hi" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    shutil.copy(LOCALES_DIR / "hi" / "LC_MESSAGES" / "messages.po", folder / "messages.po")
    with (folder / "messages.po").open("rb") as po, (folder / "messages.mo").open("wb") as mo:
        write_mo(mo, read_po(po, locale="hi"))
    app = create_app({**web_config, "BABEL_TRANSLATION_DIRECTORIES": str(tmp_path / "locales")})
    try:
        client = app.test_client()
        login(client, world.email_supervisor_a)
        client.post("/language", data={"language": "hi"})
        page = client.post(f"/feedback/{world.feedback_a}/unflag", data={"next": "/feedback"},
                           follow_redirects=True).data.decode()
        assert f"Asha Devi की फ़ीडबैक #{world.feedback_a} से चिह्न हटाया गया" in text_of(page)
        row = entry(page, world.feedback_a)
        assert "चिह्नित नहीं" in row and "चिह्नित करें" in row  # "Not flagged", and the "Flag" button
    finally:
        app.extensions["saathi.engine"].dispose()

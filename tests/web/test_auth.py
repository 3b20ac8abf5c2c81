"""Signing in and out, locks after repeated failures, CSRF, cookies, the UI language."""
from __future__ import annotations

import pytest
from sqlmodel import select

from app import create_app
from app.models import User
from tests.web.conftest import PASSWORD, app_db, csrf_token, login

PAGES = ["/", "/feedback", "/learners", "/reports", "/recognition", "/testimonials", "/workspace/sessions",
         "/workspace/content", "/workspace/learners/import", "/simulator/"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_need_a_signed_in_user(web_app, path):
    response = web_app.test_client().get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_json_clients_get_json_errors(web_app):
    response = web_app.test_client().get("/nonexistent", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json() == {"error": {"code": "not_found", "message":
                                             "This page does not exist, or is not part of your sites."}}


def test_sign_in_shows_the_dashboard_and_sign_out_ends_the_session(web_app, world):
    client = web_app.test_client()
    response = login(client, world.email_supervisor_a, follow=True)
    assert response.status_code == 200
    assert b"Andheri Mall" in response.data and b"Sign out" in response.data
    response = client.post("/logout", follow_redirects=True)
    assert b"You are signed out." in response.data
    assert client.get("/").status_code == 302


def test_wrong_password_and_unknown_email_get_the_same_answer(web_app, world):
    client = web_app.test_client()
    wrong = login(client, world.email_supervisor_a, "not the password")
    unknown = login(client, "nobody@saathi.test", "not the password")
    assert wrong.status_code == unknown.status_code == 200
    assert b"Invalid e-mail or password." in wrong.data and b"Invalid e-mail or password." in unknown.data


def test_account_locks_after_five_failures_and_opens_after_fifteen_minutes(web_app, world, clock):
    client = web_app.test_client()
    for _ in range(4):
        assert login(client, world.email_supervisor_a, "wrong").status_code == 200
    response = login(client, world.email_supervisor_a, "wrong")
    assert response.status_code == 429 and b"Try again in 15 minutes" in response.data
    # Even the right password is refused while locked, from any address.
    other = web_app.test_client()
    response = other.post("/login", data={"email": world.email_supervisor_a, "password": PASSWORD},
                          environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert response.status_code == 429
    clock.advance(minutes=16)
    assert login(other, world.email_supervisor_a).status_code == 302
    with app_db(web_app) as db:
        user = db.exec(select(User).where(User.email == world.email_supervisor_a)).one()
        assert user.failed_logins == 0 and user.locked_until is None and user.last_login_at == clock.now()


def test_one_address_trying_many_accounts_is_slowed_down(web_config, world, clock):
    app = create_app({**web_config, "LOGIN_ADDRESS_MAX_FAILURES": 3})
    client = app.test_client()
    for n in range(3):
        assert login(client, f"guess{n}@saathi.test", "x").status_code == 200
    # The address is now blocked, even for a real account with its right password ...
    assert login(client, world.email_admin).status_code == 429
    # ... but not another address.
    response = app.test_client().post("/login", data={"email": world.email_admin, "password": PASSWORD},
                                      environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert response.status_code == 302
    clock.advance(minutes=16)
    assert login(client, world.email_admin).status_code == 302
    app.extensions["saathi.engine"].dispose()


def test_next_only_redirects_inside_saathi(web_app, world):
    client = web_app.test_client()
    response = client.post("/login?next=https://evil.example/phish",
                           data={"email": world.email_admin, "password": PASSWORD})
    assert response.headers["Location"] == "/"
    client.post("/logout")
    response = client.post("/login?next=/feedback", data={"email": world.email_admin, "password": PASSWORD})
    assert response.headers["Location"] == "/feedback"


def test_a_disabled_account_cannot_sign_in_and_is_signed_out(web_app, world):
    client = web_app.test_client()
    assert login(client, world.email_trainer_a).status_code == 302
    with app_db(web_app) as db:
        user = db.get(User, world.trainer_a)
        user.active = False
        db.add(user)
    assert client.get("/").status_code == 302
    assert login(web_app.test_client(), world.email_trainer_a).status_code == 200


def test_forms_without_a_csrf_token_are_refused(csrf_app, world):
    client = csrf_app.test_client()
    assert login(client, world.email_admin).status_code == 400  # the sign-in form too
    page = client.get("/login").data.decode()
    response = client.post("/login", data={"email": world.email_admin, "password": PASSWORD,
                                           "csrf_token": csrf_token(page)})
    assert response.status_code == 302
    for path, data in [("/logout", {}), ("/language", {"language": "hi"}),
                       (f"/feedback/{world.feedback_a}/unflag", {}), (f"/feedback/{world.feedback_a}/flag", {}),
                       ("/workspace/sessions", {"cohort": world.cohort_a, "module": world.module}),
                       (f"/learners/{world.asha}/erase", {"confirm": "ERASE"}),
                       ("/simulator/dispatch", {}), (f"/simulator/{world.asha}/send", {"body": "2"})]:
        response = client.post(path, data=data)
        assert response.status_code == 400, path
        assert b"The form has expired" in response.data
    # With the page's token the same form works.
    token = csrf_token(client.get("/").data.decode())
    assert client.post("/language", data={"language": "hi", "csrf_token": token}).status_code == 302


def test_twilio_webhooks_are_not_subject_to_csrf(csrf_app, world):
    """They have their own signature check: unsigned is 403, not a CSRF 400."""
    response = csrf_app.test_client().post("/twilio/sms", data={"MessageSid": "SM1", "From": "+1"})
    assert response.status_code == 403


def test_session_cookie_is_httponly_and_samesite_lax_and_secure_behind_https(web_config, world):
    app = create_app({**web_config, "PUBLIC_URL": "https://saathi.example.org"})
    client = app.test_client()
    response = login(client, world.email_admin)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    app.extensions["saathi.engine"].dispose()


def test_plain_http_development_cookie_is_not_marked_secure(web_app, world):
    cookie = login(web_app.test_client(), world.email_admin).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_pages_forbid_framing_and_foreign_scripts(as_user):
    response = as_user("admin").get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_language_choice_is_saved_on_the_account(web_app, world, as_user):
    client = as_user("supervisor_a")
    response = client.post("/language", data={"language": "nl", "next": "/feedback"})
    assert response.headers["Location"] == "/feedback"
    with app_db(web_app) as db:
        assert db.get(User, world.supervisor_a).language == "nl"
    html = client.get("/").data.decode()
    assert '<html lang="nl">' in html
    # Another device signing in gets the account's language.
    other = web_app.test_client()
    login(other, world.email_supervisor_a)
    assert '<html lang="nl">' in other.get("/").data.decode()


def test_before_sign_in_the_browser_language_is_used(web_app):
    html = web_app.test_client().get("/login", headers={"Accept-Language": "hi-IN,hi;q=0.9"}).data.decode()
    assert '<html lang="hi">' in html and "ई-मेल" in html and "साइन इन" in html


def test_users_cli_creates_accounts_bound_to_sites(web_app, world):
    runner = web_app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "--email", "New.Trainer@Saathi.test", "--role", "trainer",
                                 "--site", "Andheri Mall", "--site", "Oslo Læringssenter",
                                 "--password", "a long enough password"])
    assert result.exit_code == 0, result.output
    assert "created trainer new.trainer@saathi.test" in result.output
    result = runner.invoke(args=["users", "create", "--email", "x@saathi.test", "--role", "supervisor",
                                 "--password", "a long enough password"])
    assert result.exit_code != 0 and "at least one site" in result.output
    result = runner.invoke(args=["users", "create", "--email", "y@saathi.test", "--role", "supervisor",
                                 "--site", "Nowhere", "--password", "a long enough password"])
    assert result.exit_code != 0 and "no site called 'Nowhere'" in result.output
    result = runner.invoke(args=["users", "create", "--email", "z@saathi.test", "--role", "admin"],
                           input="short\nshort\n")
    assert result.exit_code != 0 and "at least 10 characters" in result.output
    listing = runner.invoke(args=["users", "list"]).output
    assert "new.trainer@saathi.test\ttrainer\tAndheri Mall, Oslo Læringssenter\tactive" in listing
    assert login(web_app.test_client(), "new.trainer@saathi.test", "a long enough password").status_code == 302


def test_users_password_resets_and_unlocks(web_app, world, clock):
    client = web_app.test_client()
    for _ in range(5):
        login(client, world.email_trainer_a, "wrong")
    result = web_app.test_cli_runner().invoke(args=["users", "password", "--email", world.email_trainer_a,
                                                    "--password", "another long password"])
    assert result.exit_code == 0, result.output
    assert login(client, world.email_trainer_a, "another long password").status_code == 302

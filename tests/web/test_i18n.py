"""The UI speaks the user's language through Flask-Babel and the ``locales/`` catalogs, and
falls back to English where a string (or the whole catalog) is not translated yet."""
from __future__ import annotations

import shutil

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from app import create_app, languages
from app.config import REPO_ROOT
from tests.web.conftest import login


def test_a_compiled_catalog_translates_templates_flashes_and_form_labels(web_config, world, tmp_path):
    catalog = Catalog(locale="nl", domain="messages")
    catalog.add("Dashboard", "Overzicht")
    catalog.add("Password", "Wachtwoord")
    catalog.add("Sign in", "Inloggen")
    catalog.add("Invalid e-mail or password.", "Onbekend e-mailadres of verkeerd wachtwoord.")
    catalog.add(("%(num)d rating or comment needs follow-up.", "%(num)d ratings or comments need follow-up."),
                ("%(num)d beoordeling vraagt opvolging.", "%(num)d beoordelingen vragen opvolging."))
    folder = tmp_path / "locales" / "nl" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with open(folder / "messages.mo", "wb") as fh:
        write_mo(fh, catalog)
    for code in ("en", "nl"):  # the languages of this deployment: their files, this catalog
        (tmp_path / "locales" / code).mkdir(exist_ok=True)
        shutil.copy(REPO_ROOT / "locales" / code / "language.toml", tmp_path / "locales" / code / "language.toml")
    app = create_app({**web_config, "LOCALES_DIR": str(tmp_path / "locales")})
    client = app.test_client()
    client.post("/language", data={"language": "nl"})
    page = client.get("/login").data.decode()
    assert "Wachtwoord" in page and 'value="Inloggen"' in page
    assert "Onbekend e-mailadres" in login(client, world.email_admin, "wrong").data.decode()
    login(client, world.email_admin)
    assert 'lang="en"' in client.get("/").data.decode()  # the account's language, until changed
    client.post("/language", data={"language": "nl"})
    page = client.get("/").data.decode()
    assert "Overzicht" in page and "4 beoordelingen vragen opvolging." in page
    assert "Feedback" in page  # untranslated strings stay English
    app.extensions["saathi.engine"].dispose()
    languages.use(languages.DEFAULT_LOCALES_DIR)

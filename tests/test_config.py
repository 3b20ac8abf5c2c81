import pytest
from sqlalchemy import inspect

from app import create_app
from app.config import ConfigError
from app.db import make_engine


def test_twilio_transport_without_credentials_names_the_missing_variable(tmp_path):
    with pytest.raises(ConfigError, match="SAATHI_TWILIO_ACCOUNT_SID"):
        create_app({"TRANSPORT": "twilio", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})


def test_production_refuses_the_development_secret(tmp_path):
    with pytest.raises(ConfigError, match="SAATHI_SECRET_KEY"):
        create_app({"ENV": "production", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})


def test_settings_come_from_saathi_environment_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("SAATHI_DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    monkeypatch.setenv("SAATHI_TWILIO_AUTH_TOKEN", "123456")  # all digits, still a string
    monkeypatch.setenv("SAATHI_DAILY_CAP", "5")
    app = create_app()
    assert app.config["DATABASE_URL"].endswith("env.db")
    assert app.config["TWILIO_AUTH_TOKEN"] == "123456"
    assert app.config["DAILY_CAP"] == 5


@pytest.mark.parametrize("value", ["0", "14.5", "x", "40000"])
def test_max_interval_must_be_whole_days_between_1_and_36500(monkeypatch, tmp_path, value):
    monkeypatch.setenv("SAATHI_DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    monkeypatch.setenv("SAATHI_MAX_INTERVAL_DAYS", value)
    with pytest.raises(ConfigError, match="SAATHI_MAX_INTERVAL_DAYS"):
        create_app()


def test_max_interval_setting_reaches_the_policy(monkeypatch, tmp_path):
    from app.learning.policy import current_policy

    monkeypatch.setenv("SAATHI_DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    monkeypatch.setenv("SAATHI_MAX_INTERVAL_DAYS", "21")
    app = create_app()
    assert current_policy(app).max_interval_days == 21
    assert current_policy(app).scheduler.maximum_interval == 21


def test_cli_reports_configuration_errors_without_a_traceback(monkeypatch):
    from click.testing import CliRunner

    from app.cli import cli

    monkeypatch.setenv("SAATHI_TRANSPORT", "twilio")
    result = CliRunner().invoke(cli, ["db", "current"])
    assert result.exit_code != 0
    assert "SAATHI_TWILIO_ACCOUNT_SID" in result.output
    assert "Traceback" not in result.output


def test_migrations_match_the_models(database_url):
    """An upgraded database has every table and column the models declare."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    import app.models  # noqa: F401

    engine = make_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    engine.dispose()
    assert diff == []


def test_db_upgrade_command_creates_the_schema(tmp_path):
    url = f"sqlite:///{tmp_path}/fresh.db"
    app = create_app({"DATABASE_URL": url})
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    tables = set(inspect(make_engine(url)).get_table_names())
    assert {"learner", "prompt", "card", "outbox", "inbound"} <= tables


def test_staff_uploads_are_capped_at_8_mb(app, client):
    """Flask's own config has MAX_CONTENT_LENGTH=None, so a ``setdefault`` never applied the
    cap: a 9 MB post was read whole. The default now comes from app/config.py."""
    assert app.config["MAX_CONTENT_LENGTH"] == 8 * 1024 * 1024
    body = b"email=a%40b.c&password=" + b"x" * (9 * 1024 * 1024)
    response = client.post("/login", data=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413


def test_the_upload_cap_is_a_setting(monkeypatch, tmp_path):
    monkeypatch.setenv("SAATHI_DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    monkeypatch.setenv("SAATHI_MAX_CONTENT_LENGTH", "1000")
    app = create_app()
    response = app.test_client().post("/login", data=b"x" * 2000,
                                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413

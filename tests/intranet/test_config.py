import pytest

from intranet import ConfigError, create_app
from tests.conftest import SECRET

GOOD_PRODUCTION = {
    "ENV": "production",
    "SECRET_KEY": SECRET,
    "LDAP_URL": "ldaps://dc1.corp.example:636",
    "LDAP_USER_BASE": "ou=people,dc=corp,dc=example",
    "SQLALCHEMY_DATABASE_URI": "sqlite://",
}


def test_production_config_accepted_when_safe():
    app = create_app(GOOD_PRODUCTION)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["DIRECTORY"] == "ldap"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"SECRET_KEY": None}, "INTRANET_SECRET_KEY"),
        ({"SECRET_KEY": "dev"}, "INTRANET_SECRET_KEY"),
        ({"SECRET_KEY": "short-but-not-default"}, "INTRANET_SECRET_KEY"),
        ({"LDAP_URL": None}, "demo directory"),
        ({"LDAP_TLS_VERIFY": False}, "unverified TLS"),
        ({"LDAP_URL": "ldap://dc1.corp.example"}, "plaintext LDAP"),
    ],
)
def test_production_refuses_unsafe_config(change, message):
    with pytest.raises(ConfigError, match=message):
        create_app({**GOOD_PRODUCTION, **change})


def test_production_accepts_starttls_on_plain_port():
    app = create_app({**GOOD_PRODUCTION, "LDAP_URL": "ldap://dc1.corp.example", "LDAP_START_TLS": True})
    assert app.config["LDAP_START_TLS"] is True


def test_production_refuses_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("INTRANET_ENV", "production")
    monkeypatch.setenv("INTRANET_SECRET_KEY", "dev")
    with pytest.raises(ConfigError):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_environment_values_are_json(monkeypatch):
    monkeypatch.setenv("INTRANET_LDAP_TIMEOUT", "3")
    monkeypatch.setenv("INTRANET_SESSION_HOURS", "2")
    monkeypatch.setenv("INTRANET_LDAP_GROUP_ADMIN", "cn=admins,dc=example,dc=com")
    app = create_app({"SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["LDAP_TIMEOUT"] == 3
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 2 * 3600
    assert app.config["LDAP_GROUP_ADMIN"] == ["cn=admins,dc=example,dc=com"]


def test_development_keeps_a_random_key_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("INTRANET_SECRET_KEY", raising=False)
    cfg = {"SQLALCHEMY_DATABASE_URI": "sqlite://"}
    app1 = _app_in(tmp_path, cfg)
    app2 = _app_in(tmp_path, cfg)
    assert len(app1.config["SECRET_KEY"]) >= 32
    assert app1.config["SECRET_KEY"] == app2.config["SECRET_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def _app_in(instance, cfg):
    from flask import Flask

    from intranet import config

    app = Flask("intranet", instance_path=str(instance), instance_relative_config=True)
    config.load_config(app, cfg)
    return app


def test_postgresql_url_uses_psycopg3():
    app = create_app({"SECRET_KEY": SECRET, "DATABASE_URL": "postgresql://ting@db.internal/ting"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://ting@db.internal/ting"


def test_session_cookie_flags_and_lifetime(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 8 * 3600

"""`flask directory sync`: paged refresh, deactivation (never deletion), failures that change nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from intranet.extensions import db
from intranet.models import Department, User
from tests.auth.conftest import ad_config, dead_port, ldap_config
from tests.conftest import login


def users(app) -> dict[str, User]:
    with app.app_context():
        return {u.username: u for u in db.session.scalars(select(User))}


def test_sync_creates_users_departments_and_roles(ldap_app):
    result = ldap_app.test_cli_runner().invoke(args=["directory", "sync", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "deactivated" in result.output
    found = users(ldap_app)
    assert {"alice", "bjorn", "zoe", "mona", "adam"} <= set(found)
    assert found["adam"].is_admin and found["mona"].is_management
    assert found["alice"].manager_id == found["bjorn"].id
    with ldap_app.app_context():
        names = set(db.session.scalars(select(Department.name)))
    assert {"Engineering", "Sales", "Management", "IT"} <= names


def test_sync_shows_a_progress_bar(ldap_app):
    result = ldap_app.test_cli_runner().invoke(args=["directory", "sync"])
    assert result.exit_code == 0, result.output
    assert "Refreshing users" in result.output


def test_sync_deactivates_people_gone_from_the_directory(ldap_app, person):
    uid, dn = person(password="gone-pw")
    login(ldap_app.test_client(), uid, "gone-pw")
    person.conn.delete(dn)
    person.added.remove(dn)
    result = ldap_app.test_cli_runner().invoke(args=["directory", "sync", "--no-progress"])
    assert result.exit_code == 0, result.output
    gone = users(ldap_app)[uid]
    assert gone.is_deactivated and gone.deactivated_at is not None  # the row (and its content) stays
    assert login(ldap_app.test_client(), uid, "gone-pw").status_code == 401


def test_sync_deactivates_disabled_ad_accounts(slapd, make_app, person):
    app = make_app(**ad_config(slapd))
    conn = person.conn
    dn = "cn=Temp Ad,ou=ad,dc=example,dc=com"
    guid = bytes(range(16))
    assert conn.add(
        dn,
        ["inetOrgPerson", "adUser"],
        {
            "cn": "Temp Ad",
            "sn": "Ad",
            "sAMAccountName": "tempad",
            "objectGUID": guid,
            "userAccountControl": 512,
            "userPassword": "tempad-pw",
        },
    ), conn.result
    person.added.append(dn)
    assert login(app.test_client(), "tempad", "tempad-pw").status_code == 302
    conn.modify(dn, {"userAccountControl": [("MODIFY_REPLACE", [514])]})
    assert app.test_cli_runner().invoke(args=["directory", "sync", "--no-progress"]).exit_code == 0
    assert users(app)["tempad"].is_deactivated
    assert login(app.test_client(), "tempad", "tempad-pw").status_code == 401
    # Enabled again: the next login reactivates the same user.
    conn.modify(dn, {"userAccountControl": [("MODIFY_REPLACE", [512])]})
    before = users(app)["tempad"].id
    assert login(app.test_client(), "tempad", "tempad-pw").status_code == 302
    again = users(app)["tempad"]
    assert again.id == before and not again.is_deactivated


def test_sync_with_the_directory_down_changes_nothing(slapd, make_app, ldap_app):
    ldap_app.test_cli_runner().invoke(args=["directory", "sync", "--no-progress"])
    before = {n: u.is_deactivated for n, u in users(ldap_app).items()}
    down = make_app(**ldap_config(slapd, LDAP_URL=f"ldap://127.0.0.1:{dead_port()}", LDAP_TIMEOUT=1))
    result = down.test_cli_runner().invoke(args=["directory", "sync", "--no-progress"])
    assert result.exit_code != 0
    assert "nothing was changed" in result.output
    assert {n: u.is_deactivated for n, u in users(ldap_app).items()} == before


def test_sync_refuses_an_empty_listing(slapd, make_app, ldap_app):
    login(ldap_app.test_client(), "alice", "alice-pw")
    empty = make_app(**ldap_config(slapd, LDAP_USER_FILTER="(objectClass=noSuchClass)"))
    result = empty.test_cli_runner().invoke(args=["directory", "sync", "--no-progress"])
    assert result.exit_code != 0 and "listed no users" in result.output
    assert not users(ldap_app)["alice"].is_deactivated


def test_directory_check_command(ldap_app, slapd, make_app):
    assert ldap_app.test_cli_runner().invoke(args=["directory", "check"]).exit_code == 0
    down = make_app(**ldap_config(slapd, LDAP_URL=f"ldap://127.0.0.1:{dead_port()}", LDAP_TIMEOUT=1))
    result = down.test_cli_runner().invoke(args=["directory", "check"])
    assert result.exit_code != 0 and "unavailable" in result.output


def test_demo_load_refuses_a_real_directory(ldap_app):
    result = ldap_app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code != 0
    with ldap_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0

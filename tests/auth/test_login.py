"""Login through the web app against the real slapd: provisioning, roles, limits, failures."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from intranet.extensions import db
from intranet.models import User
from tests.auth.conftest import BASE, dead_port, ldap_config
from tests.conftest import login

GENERIC = "Unknown user name or wrong password."


def user_named(app, username):
    with app.app_context():
        return db.session.scalars(select(User).where(User.username == username)).all()


def alert_text(response) -> str:
    match = re.search(r'role="alert">([^<]*)<', response.get_data(as_text=True))
    return match.group(1) if match else ""


def test_good_login_provisions_the_user_with_roles(ldap_app, ldap_client):
    r = login(ldap_client, "bjorn", "bjørn-pw")
    assert r.status_code == 302 and r.headers["Location"] == "/profile"
    html = ldap_client.get("/profile").get_data(as_text=True)
    assert "Bjørn Ødegård" in html
    assert "Department lead of Engineering" in html
    with ldap_app.app_context():
        user = db.session.scalar(select(User).where(User.username == "bjorn"))
        assert user.last_login_at is not None and user.department.name == "Engineering"


def test_roles_through_nested_groups(ldap_app, ldap_client):
    login(ldap_client, "adam", "adam-pw")
    assert "Administrator" in ldap_client.get("/profile").get_data(as_text=True)
    login(ldap_app.test_client(), "mona", "mona-pw")
    login(ldap_app.test_client(), "zoe", "zoe-pw")
    with ldap_app.app_context():
        users = {u.username: u for u in db.session.scalars(select(User))}
        assert users["adam"].is_admin and not users["adam"].is_management
        assert users["mona"].is_management and not users["mona"].is_admin
        assert [d.name for d in users["zoe"].led_departments] == ["Sales"]
        assert not users["zoe"].is_admin


def test_manager_is_provisioned_with_the_user(ldap_app, ldap_client):
    login(ldap_client, "alice", "alice-pw")
    with ldap_app.app_context():
        alice = db.session.scalar(select(User).where(User.username == "alice"))
        assert alice.manager is not None and alice.manager.display_name == "Bjørn Ødegård"


@pytest.mark.parametrize(
    ("username", "password"),
    [("alice", "wrong"), ("nobody", "alice-pw"), ("dup", "dup-pw"), ("*", "alice-pw"), ("al*", "alice-pw")],
)
def test_every_failed_login_gets_one_generic_message(ldap_client, username, password):
    r = login(ldap_client, username, password)
    assert r.status_code == 401
    assert alert_text(r) == GENERIC
    assert f'value="{username}"' in r.get_data(as_text=True).replace("&#34;", '"')  # name kept
    assert ldap_client.get("/profile").status_code == 302


@pytest.mark.parametrize("password", ["", "   "])
def test_empty_password_is_a_form_error(ldap_client, password):
    r = login(ldap_client, "alice", password)
    assert r.status_code == 422
    assert "Enter your password." in r.get_data(as_text=True)
    assert ldap_client.get("/profile").status_code == 302


def test_moved_and_renamed_user_keeps_their_account(ldap_app, person):
    uid, dn = person(password="mover-pw")
    login(ldap_app.test_client(), uid, "mover-pw")
    [before] = user_named(ldap_app, uid)

    conn = person.conn
    assert conn.modify_dn(dn, f"uid={uid}", new_superior=f"ou=former,{BASE}"), conn.result
    moved_dn = f"uid={uid},ou=former,{BASE}"
    person.added[-1] = moved_dn
    assert login(ldap_app.test_client(), uid, "mover-pw").status_code == 302
    [after_move] = user_named(ldap_app, uid)
    assert after_move.id == before.id and after_move.dn.lower() == moved_dn

    new_uid = uid + "x"
    assert conn.modify_dn(moved_dn, f"uid={new_uid}"), conn.result
    person.added[-1] = f"uid={new_uid},ou=former,{BASE}"
    assert login(ldap_app.test_client(), new_uid, "mover-pw").status_code == 302
    [renamed] = user_named(ldap_app, new_uid)
    assert renamed.id == before.id
    assert user_named(ldap_app, uid) == []


def test_rate_limit_by_username(ldap_app):
    client = ldap_app.test_client()
    for _ in range(5):
        assert login(client, "alice", "wrong").status_code == 401
    for spelling in ["ALICE ", "CORP\\alice", "alice@example.com"]:  # other spellings, right password
        r = login(client, spelling, "alice-pw")
        assert r.status_code == 429, spelling
        assert "Too many attempts" in r.get_data(as_text=True)
    # Another name from the same client is not locked by alice's failures.
    assert login(client, "bjorn", "bjørn-pw").status_code == 302


def test_rate_limit_by_client(slapd, make_app):
    app = make_app(**ldap_config(slapd), LOGIN_LIMIT_PER_CLIENT="4 per 10 minutes")
    client = app.test_client()
    for i in range(4):
        assert login(client, f"nobody{i}", "x").status_code == 401
    assert login(client, "alice", "alice-pw").status_code == 429


def test_successful_logins_do_not_count_against_the_limit(ldap_app):
    for _ in range(7):
        assert login(ldap_app.test_client(), "alice", "alice-pw").status_code == 302


def test_directory_down_is_a_friendly_page_that_keeps_the_name(slapd, make_app):
    app = make_app(**ldap_config(slapd, LDAP_URL=f"ldap://127.0.0.1:{dead_port()}", LDAP_TIMEOUT=1))
    client = app.test_client()
    r = login(client, "alice", "alice-pw")
    assert r.status_code == 503
    assert "directory is not answering" in alert_text(r)
    assert 'value="alice"' in r.get_data(as_text=True)
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["directory"] == "unavailable"
    # No failed-credential count: the directory being down is not the user's fault.
    for _ in range(6):
        assert login(client, "alice", "alice-pw").status_code == 503


def test_silent_directory_is_a_friendly_page(slapd, make_app, silent_server):
    app = make_app(**ldap_config(slapd, LDAP_URL=silent_server, LDAP_TIMEOUT=1))
    r = login(app.test_client(), "alice", "alice-pw")
    assert r.status_code == 503
    assert "Traceback" not in r.get_data(as_text=True)


def test_healthz_with_the_real_directory(ldap_client):
    assert ldap_client.get("/healthz").get_json() == {"status": "ok", "database": "ok", "directory": "ok"}


def test_deactivated_user_loses_their_session(ldap_app, ldap_client):
    login(ldap_client, "alice", "alice-pw")
    with ldap_app.app_context():
        alice = db.session.scalar(select(User).where(User.username == "alice"))
        alice.is_deactivated = True
        db.session.commit()
    assert ldap_client.get("/profile").status_code == 302

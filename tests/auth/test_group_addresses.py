"""The directory's group resolver for mail, against the demo directory and a real slapd."""

from __future__ import annotations

import pytest

from auth.base import DirectoryUnavailable
from auth.services import group_addresses
from intranet.mail import GROUP_RESOLVER, RecipientsUnavailable, expand_recipients
from tests.auth.conftest import GROUPS, dead_port, ldap_config


def resolve(app, dn):
    with app.app_context():
        return app.extensions[GROUP_RESOLVER](dn)


def test_group_addresses_registered_for_the_demo_directory(app):
    assert resolve(app, "cn=management,ou=groups,o=ting-demo") == [
        "ingrid@demo.ting.example",
        "mateo@demo.ting.example",
    ]


def test_group_addresses_from_ldap_direct_members(ldap_app):
    assert resolve(ldap_app, f"cn=management,{GROUPS}") == ["mona@example.com"]
    assert resolve(ldap_app, f"cn=engineering-leads,{GROUPS}") == ["bjorn@example.com"]


def test_group_addresses_from_ldap_through_nested_groups(ldap_app):
    # adam is in it-ops, which is a member of admins; zoe reaches sales-leads through the deputies.
    assert resolve(ldap_app, f"cn=admins,{GROUPS}") == ["adam@example.com"]
    assert resolve(ldap_app, f"cn=sales-leads,{GROUPS}") == ["zoe@example.com"]


def test_group_addresses_from_ldap_match_the_dn_however_spelt(ldap_app):
    assert resolve(ldap_app, "CN=Admins, OU=groups, DC=example, DC=com") == ["adam@example.com"]


def test_group_addresses_from_ldap_unknown_group_is_nobody(ldap_app):
    assert resolve(ldap_app, f"cn=no-such-group,{GROUPS}") == []


def test_group_addresses_skip_members_without_mail(ldap_app, person):
    _, dn = person()  # no mail attribute
    conn = person.conn
    assert conn.modify(f"cn=management,{GROUPS}", {"member": [("MODIFY_ADD", [dn])]}), conn.result
    try:
        assert resolve(ldap_app, f"cn=management,{GROUPS}") == ["mona@example.com"]
    finally:
        conn.modify(f"cn=management,{GROUPS}", {"member": [("MODIFY_DELETE", [dn])]})


def test_expand_recipients_through_ldap(ldap_app):
    with ldap_app.app_context():
        got = expand_recipients(["Mona@example.com", f"cn=admins,{GROUPS}", f"cn=management,{GROUPS}"])
    assert got == ["Mona@example.com", "adam@example.com"]


def test_group_addresses_directory_down_is_recipients_unavailable(slapd, make_app):
    app = make_app(**ldap_config(slapd, LDAP_URL=f"ldap://127.0.0.1:{dead_port()}", LDAP_TIMEOUT=1))
    with app.app_context():
        with pytest.raises(RecipientsUnavailable, match="cn=admins") as info:
            app.extensions[GROUP_RESOLVER](f"cn=admins,{GROUPS}")
        assert isinstance(info.value.__cause__, DirectoryUnavailable)
        with pytest.raises(RecipientsUnavailable):
            expand_recipients(["a@example.com", f"cn=admins,{GROUPS}"])


class _DownDirectory:
    kind = "down"

    def all_users(self):
        yield from ()
        raise DirectoryUnavailable("gone mid-way")


def test_group_addresses_service_lets_directory_unavailable_through():
    with pytest.raises(DirectoryUnavailable):
        group_addresses(_DownDirectory(), f"cn=admins,{GROUPS}")  # type: ignore[arg-type]

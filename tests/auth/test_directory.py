"""TRUST.md §1, rule by rule, against a real slapd."""

from __future__ import annotations

import time

import pytest

from auth.base import DirectoryUnavailable, InvalidCredentials
from auth.directory import LdapDirectory, LdapSettings
from tests.auth.conftest import BASE, GROUPS, ad_config, dead_port, ldap_config

CARL_GUID = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"


def directory(cfg: dict) -> LdapDirectory:
    return LdapDirectory(LdapSettings.from_config(cfg))


@pytest.fixture
def ldap(slapd):
    return directory(ldap_config(slapd))


@pytest.fixture
def ad(slapd):
    return directory(ad_config(slapd))


def test_authenticate_good_login(ldap):
    entry = ldap.authenticate("alice", "alice-pw")
    assert entry.username == "alice"
    assert entry.display_name == "Alice Andersen"
    assert entry.email == "alice@example.com"
    assert entry.title == "Engineer"
    assert entry.department == "Engineering"
    assert entry.manager_dn.lower() == f"uid=bjorn,ou=people,{BASE}"
    assert len(entry.directory_id) == 36  # entryUUID


def test_authenticate_non_ascii_name_and_password(ldap):
    entry = ldap.authenticate("bjorn", "bjørn-pw")
    assert entry.display_name == "Bjørn Ødegård"


def test_authenticate_login_name_is_case_insensitive_and_trimmed(ldap):
    assert ldap.authenticate("  ALICE ", "alice-pw").username == "alice"


def test_authenticate_wrong_password(ldap):
    with pytest.raises(InvalidCredentials):
        ldap.authenticate("alice", "wrong")


def test_authenticate_unknown_user(ldap):
    with pytest.raises(InvalidCredentials):
        ldap.authenticate("nobody", "alice-pw")


@pytest.mark.parametrize("password", ["", " ", "\t\n", "   "])
def test_authenticate_refuses_empty_passwords_before_any_bind(slapd, password):
    # Pointed at a dead port: touching the network would raise DirectoryUnavailable instead.
    dead = directory(ldap_config(slapd, LDAP_URL=f"ldap://127.0.0.1:{dead_port()}"))
    with pytest.raises(InvalidCredentials):
        dead.authenticate("alice", password)


@pytest.mark.parametrize("password", ["", "  "])
def test_authenticate_empty_password_never_logs_in_on_a_real_server(ldap, password):
    with pytest.raises(InvalidCredentials):
        ldap.authenticate("alice", password)


@pytest.mark.parametrize(
    ("dialect", "template", "name"),
    [
        ("openldap", None, ""),
        ("openldap", None, "   "),
        ("ad", None, "CORP\\"),  # the domain prefix removed, nothing is left
        ("openldap", "{username}", " "),  # a direct bind would be an empty DN
    ],
)
def test_authenticate_refuses_empty_names_and_dns_before_any_bind(slapd, dialect, template, name):
    cfg = ldap_config(
        slapd,
        LDAP_URL=f"ldap://127.0.0.1:{dead_port()}",
        LDAP_DIALECT=dialect,
        LDAP_USER_DN_TEMPLATE=template,
    )
    with pytest.raises(InvalidCredentials):
        directory(cfg).authenticate(name, "alice-pw")


@pytest.mark.parametrize(
    "name",
    [
        "*",
        ")(uid=*",
        "admin*",
        "al*",
        "alice*",
        "*)(uid=alice",
        "alice)(|(uid=*",
        "\\00",
        "alice\x00",
        "\\",
        "al\\2a",
    ],
)
def test_authenticate_filter_injection_never_matches(ldap, name):
    with pytest.raises(InvalidCredentials):
        ldap.authenticate(name, "alice-pw")


def test_authenticate_two_matching_entries_is_no_login(ldap):
    # uid=dup exists in ou=people and ou=contractors, both with this password.
    with pytest.raises(InvalidCredentials):
        ldap.authenticate("dup", "dup-pw")


def test_authenticate_ad_sam_account_name_upn_and_domain_prefix(ad):
    for name in ["carl", "CARL", "carl@corp.example.com", "CORP\\carl"]:
        entry = ad.authenticate(name, "carl-pw")
        assert entry.directory_id == CARL_GUID  # objectGUID, little-endian bytes
        assert entry.username == "carl"
        assert entry.department == "Finance"


def test_authenticate_ad_disabled_account_is_refused(ad, slapd):
    # dina's password is right, but userAccountControl has the ACCOUNTDISABLE bit.
    with pytest.raises(InvalidCredentials):
        ad.authenticate("dina", "dina-pw")
    # The same entry with the openldap dialect (no disabled filter) would log in: the filter is what refuses.
    lax_cfg = {**ad_config(slapd), "LDAP_DIALECT": "openldap"}
    lax = directory({**lax_cfg, "LDAP_LOGIN_ATTR": "sAMAccountName", "LDAP_ID_ATTR": "objectGUID"})
    assert lax.authenticate("dina", "dina-pw").username == "dina"


def test_direct_bind_from_dn_template(slapd):
    d = directory(
        ldap_config(
            slapd,
            LDAP_BIND_DN=None,
            LDAP_BIND_PASSWORD=None,
            LDAP_USER_DN_TEMPLATE=f"uid={{username}},ou=people,{BASE}",
        )
    )
    assert d.authenticate("alice", "alice-pw").display_name == "Alice Andersen"
    with pytest.raises(InvalidCredentials):
        d.authenticate("alice", "wrong")
    with pytest.raises(InvalidCredentials):
        d.authenticate("alice,ou=people", "alice-pw")  # escaped into the RDN, so no such entry


def test_wrong_service_password_is_directory_unavailable(slapd):
    d = directory(ldap_config(slapd, LDAP_BIND_PASSWORD="wrong"))
    with pytest.raises(DirectoryUnavailable):
        d.authenticate("alice", "alice-pw")


def test_directory_down_answers_within_the_timeout(slapd):
    d = directory(ldap_config(slapd, LDAP_URL=f"ldap://127.0.0.1:{dead_port()}", LDAP_TIMEOUT=1))
    started = time.monotonic()
    with pytest.raises(DirectoryUnavailable):
        d.authenticate("alice", "alice-pw")
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("start_tls", [True, False])
def test_silent_directory_answers_within_the_timeout(slapd, silent_server, start_tls):
    d = directory(ldap_config(slapd, LDAP_URL=silent_server, LDAP_TIMEOUT=1, LDAP_START_TLS=start_tls))
    started = time.monotonic()
    with pytest.raises(DirectoryUnavailable):
        d.authenticate("alice", "alice-pw")
    assert time.monotonic() - started < 5  # bounded by the receive timeout, not hanging


def test_ldaps_with_the_ca_file_verifies(slapd):
    d = directory(ldap_config(slapd, LDAP_URL=slapd.ldaps_url, LDAP_START_TLS=False))
    assert d.authenticate("alice", "alice-pw").username == "alice"


@pytest.mark.parametrize("use_ldaps", [True, False])
def test_tls_verification_fails_against_an_untrusted_certificate(slapd, use_ldaps):
    url = slapd.ldaps_url if use_ldaps else slapd.ldap_url
    d = directory(ldap_config(slapd, LDAP_URL=url, LDAP_START_TLS=not use_ldaps, LDAP_CA_FILE=None))
    with pytest.raises(DirectoryUnavailable):
        d.authenticate("alice", "alice-pw")


def test_tls_verification_is_the_default(slapd):
    settings = LdapSettings.from_config({"LDAP_URL": slapd.ldaps_url, "LDAP_USER_BASE": BASE})
    assert settings.tls_verify is True


def test_nested_groups_resolved(ldap):
    adam = ldap.authenticate("adam", "adam-pw")
    assert f"cn=admins,{GROUPS}" in adam.groups  # through it-ops
    zoe = ldap.authenticate("zoe", "zoe-pw")
    assert f"cn=sales-leads,{GROUPS}" in zoe.groups  # through sales-lead-deputies


def test_group_cycles_end(ldap):
    zoe = ldap.authenticate("zoe", "zoe-pw")
    assert {f"cn=cycle-a,{GROUPS}", f"cn=cycle-b,{GROUPS}"} <= zoe.groups


def test_group_nesting_depth_is_bounded(slapd):
    d = directory(ldap_config(slapd, LDAP_GROUP_NESTING_DEPTH=10))
    groups = d.authenticate("alice", "alice-pw").groups
    assert f"cn=deep-10,{GROUPS}" in groups
    assert f"cn=deep-11,{GROUPS}" not in groups


def test_all_users_pages_through_the_directory(slapd):
    d = directory(ldap_config(slapd, LDAP_PAGE_SIZE=2))
    names = sorted(e.username for e in d.all_users())
    for name in ["alice", "bjorn", "zoe", "mona", "adam", "dup"]:
        assert name in names
    assert names.count("dup") == 2  # two people, two stable ids


def test_all_users_ad_skips_disabled(slapd):
    names = {e.username for e in directory(ad_config(slapd, LDAP_PAGE_SIZE=1)).all_users()}
    assert "carl" in names and "dina" not in names


def test_find_by_dn(ldap):
    entry = ldap.find_by_dn(f"uid=bjorn,ou=people,{BASE}")
    assert entry is not None and entry.username == "bjorn"
    assert ldap.find_by_dn(f"uid=nobody,ou=people,{BASE}") is None


def test_check(ldap, slapd):
    ldap.check()
    with pytest.raises(DirectoryUnavailable):
        directory(ldap_config(slapd, LDAP_URL=f"ldap://127.0.0.1:{dead_port()}")).check()


MANAGE_DSA_IT = ("2.16.840.1.113730.3.4.2", True, None)


@pytest.fixture
def referral(slapd):
    """A referral inside the user base: the search answers with a continuation reference besides entries."""
    conn = slapd.admin_connection()
    dn = f"ou=branch,{BASE}"
    target = f"{slapd.ldap_url}/ou=people,{BASE}"
    assert conn.add(dn, ["referral", "extensibleObject"], {"ou": "branch", "ref": target}), conn.result
    yield dn
    conn.delete(dn, controls=[MANAGE_DSA_IT])
    conn.unbind()


def test_referrals_are_not_followed_nor_counted(ldap, referral):
    assert ldap.authenticate("alice", "alice-pw").username == "alice"
    names = [e.username for e in ldap.all_users()]
    assert names.count("alice") == 1

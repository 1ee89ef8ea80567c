"""Mapping directory groups to roles: by DN list and by DN pattern, case- and spacing-insensitive."""

from auth.base import normalize_dn, transitive_groups
from auth.services import RoleRules


def test_lead_groups_by_list_ignore_case_and_spacing():
    rules = RoleRules.from_config(
        {"LDAP_LEAD_GROUPS": {"CN=Sales Leads, OU=Groups,DC=corp,DC=example": "Sales"}}
    )
    groups = {normalize_dn("cn=sales leads,ou=groups,dc=corp,dc=example")}
    assert rules.led_departments(groups) == {"Sales"}


def test_lead_groups_by_pattern():
    rules = RoleRules.from_config(
        {"LDAP_LEAD_GROUP_PATTERN": r"^cn=(?P<department>[^,]+)-leads,ou=groups,dc=example,dc=com$"}
    )
    groups = {"cn=engineering-leads,ou=groups,dc=example,dc=com", "cn=staff,ou=groups,dc=example,dc=com"}
    assert rules.led_departments(groups) == {"engineering"}


def test_management_and_admin_groups_accept_a_string_or_list():
    rules = RoleRules.from_config(
        {"LDAP_GROUP_MANAGEMENT": ["CN=Board,DC=x"], "LDAP_GROUP_ADMIN": ["cn=IT, dc=x"]}
    )
    assert rules.management == {"cn=board,dc=x"}
    assert rules.admin == {"cn=it,dc=x"}


def test_normalize_dn_keeps_escaped_commas():
    assert normalize_dn(r"CN=Doe\, John , OU=Staff") == r"cn=doe\, john,ou=staff"


def test_transitive_groups_bounded_and_cycle_safe():
    parents = {"uid=u": ["cn=a"], "cn=a": ["cn=b"], "cn=b": ["CN=A", "cn=c"], "cn=c": ["cn=d"]}
    assert transitive_groups("UID=u", lambda dn: parents.get(dn, []), 10) == {"cn=a", "cn=b", "cn=c", "cn=d"}
    assert transitive_groups("uid=u", lambda dn: parents.get(dn, []), 2) == {"cn=a", "cn=b"}

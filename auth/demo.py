"""The embedded demo directory: about thirty sample staff, for `make run` and trying Ting out.

It answers like the real directory (same entries, same errors) so the login,
provisioning and role code under demo is the production code. Production
refuses it (``intranet.config.validate``).
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Iterator

from .base import DirectoryEntry, InvalidCredentials, transitive_groups, validate_credentials

DEMO_PASSWORD = "demo"  # noqa: S105 - shown on the login page on purpose
BASE = "o=ting-demo"
GROUPS = f"ou=groups,{BASE}"
MANAGEMENT_GROUP = f"cn=management,{GROUPS}"
ADMIN_GROUP = f"cn=it-admins,{GROUPS}"
LEAD_GROUP_PATTERN = rf"^cn=(?P<department>[a-z0-9-]+)-leads,{GROUPS}$"

# username, display name, title, department, manager, extra groups
STAFF: list[tuple[str, str, str, str, str | None, tuple[str, ...]]] = [
    ("ingrid", "Ingrid Solberg", "Chief Executive Officer", "Operations", None, ("management",)),
    ("mateo", "Mateo García", "Chief Financial Officer", "Finance", "ingrid", ("management",)),
    ("bjorn", "Bjørn Ødegård", "Head of Engineering", "Engineering", "ingrid", ("engineering-leads",)),
    ("zoe", "Zoë O'Brien", "Software Engineer", "Engineering", "bjorn", ()),
    ("amelie", "Amélie Dubois", "Frontend Developer", "Engineering", "bjorn", ()),
    ("jurgen", "Jürgen Müller", "Site Reliability Engineer", "Engineering", "bjorn", ("it-ops",)),
    ("sanna", "Sanna Järvinen", "QA Engineer", "Engineering", "bjorn", ()),
    ("kenji", "Kenji Watanabe", "Data Engineer", "Engineering", "bjorn", ()),
    ("priya", "Priya Raghunathan", "Engineering Manager", "Engineering", "bjorn", ("engineering-leads",)),
    ("emil", "Emil Åberg", "Security Analyst", "Engineering", "priya", ()),
    ("lars", "Lars Nyström", "Sales Director", "Sales", "ingrid", ("sales-leads",)),
    ("chloe", "Chloé Lefèvre", "Account Executive", "Sales", "lars", ()),
    ("omar", "Omar Haddad", "Sales Engineer", "Sales", "lars", ()),
    ("siobhan", "Siobhán Ní Bhriain", "Account Manager", "Sales", "lars", ()),
    ("tomas", "Tomáš Dvořák", "Sales Representative", "Sales", "lars", ()),
    ("lea", "Léa Martin", "Marketing Specialist", "Sales", "lars", ()),
    ("ewa", "Ewa Kowalczyk", "Head of Finance", "Finance", "mateo", ("finance-leads",)),
    ("noah", "Noah Fischer", "Accountant", "Finance", "ewa", ()),
    ("ines", "Inês Carvalho", "Financial Analyst", "Finance", "ewa", ()),
    ("aoife", "Aoife Kelly", "Payroll Specialist", "Finance", "ewa", ()),
    ("fatima", "Fatima Zahra Benali", "HR Director", "Human Resources", "ingrid", ("human-resources-leads",)),
    ("soren", "Søren Dahl", "HR Business Partner", "Human Resources", "fatima", ()),
    ("maja", "Maja Lindström", "Recruiter", "Human Resources", "fatima", ()),
    ("dmitri", "Dmitri Volkov", "Learning and Development Specialist", "Human Resources", "fatima", ()),
    ("helga", "Helga Björnsdóttir", "Head of Operations", "Operations", "ingrid", ("operations-leads",)),
    ("raul", "Raúl Fernández", "Facilities Manager", "Operations", "helga", ()),
    ("yuki", "Yuki Tanaka", "Logistics Coordinator", "Operations", "helga", ()),
    ("olu", "Oluwaseun Adeyemi", "Procurement Officer", "Operations", "helga", ()),
    ("francois", "François Girard", "Office Manager", "Operations", "helga", ()),
    ("nadia", "Nadia Petrova", "Customer Support Lead", "Operations", "helga", ()),
]

# Nested groups, as a real directory has them: it-ops sits inside it-admins.
NESTED = {f"cn=it-ops,{GROUPS}": [ADMIN_GROUP]}

#: Accounts the login page suggests, one per role.
SHOWCASE = [("ingrid", "management"), ("bjorn", "lead"), ("jurgen", "admin"), ("zoe", "employee")]

#: Role settings that go with this directory (used when INTRANET_LDAP_URL is unset).
ROLE_CONFIG = {
    "LDAP_GROUP_MANAGEMENT": [MANAGEMENT_GROUP],
    "LDAP_GROUP_ADMIN": [ADMIN_GROUP],
    "LDAP_LEAD_GROUP_PATTERN": LEAD_GROUP_PATTERN,
}


def _dn(username: str) -> str:
    return f"uid={username},ou=people,{BASE}"


class DemoDirectory:
    kind = "demo"

    def __init__(self) -> None:
        self._entries = {row[0]: self._make(*row) for row in STAFF}
        self._by_dn = {e.dn: e for e in self._entries.values()}

    @staticmethod
    def _make(
        username: str, name: str, title: str, dept: str, manager: str | None, groups: tuple[str, ...]
    ) -> DirectoryEntry:
        direct = {_dn(username): [f"cn={g},{GROUPS}" for g in groups]}
        parents = {**NESTED, **direct}
        return DirectoryEntry(
            directory_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"ting-demo:{username}")),
            username=username,
            dn=_dn(username),
            display_name=name,
            email=f"{username}@demo.ting.example",
            title=title,
            department=dept,
            manager_dn=_dn(manager) if manager else None,
            groups=transitive_groups(_dn(username), lambda dn: parents.get(dn, []), 10),
        )

    def authenticate(self, username: str, password: str) -> DirectoryEntry:
        name = validate_credentials(username, password).casefold()
        entry = self._entries.get(name)
        ok = hmac.compare_digest(password.encode(), DEMO_PASSWORD.encode())
        if entry is None or not ok:
            raise InvalidCredentials("unknown name or wrong password")
        return entry

    def find_by_dn(self, dn: str) -> DirectoryEntry | None:
        return self._by_dn.get(dn)

    def all_users(self) -> Iterator[DirectoryEntry]:
        yield from self._entries.values()

    def check(self) -> None:
        return None

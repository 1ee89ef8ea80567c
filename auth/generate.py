"""auth's part of `flask demo generate`: departments and employees, as a directory sync would store them.

The generated people are not in the demo directory, so they cannot log in; the demo staff
(who can) are kept and given a share of the generated content by the other domains. A
later ``flask directory sync`` or ``flask demo load`` deactivates the generated people,
as it would anyone the directory no longer lists (their content stays).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from intranet.extensions import db
from intranet.generate import Plan, bulk_insert, next_id
from intranet.models import Department, User, department_leads
from intranet.text import slugify

from .demo import BASE

DEPARTMENTS = (
    "Engineering",
    "Sales",
    "Finance",
    "Human Resources",
    "Operations",
    "Customer Service",
    "Logistics",
    "Marketing",
    "Legal",
    "Procurement",
    "Quality",
    "Research",
    "Production Bergen",
    "Production Malmö",
    "Warehouse Aarhus",
    "Field Service",
    "Product Management",
    "IT Operations",
    "Communications",
    "Facilities",
)
FIRST = (
    "Anna",
    "Ole",
    "Kari",
    "Lars",
    "Ingrid",
    "Erik",
    "Sofie",
    "Jonas",
    "Emma",
    "Mikkel",
    "Sanne",
    "Daan",
    "Lotte",
    "Pieter",
    "Astrid",
    "Nils",
    "Freja",
    "Magnus",
    "Elin",
    "Björn",
    "Maja",
    "Henrik",
    "Noor",
    "Fatima",
    "Omar",
    "Priya",
    "Chen",
    "Ayşe",
    "Mateo",
    "Zoë",
    "Siobhán",
    "Tomáš",
    "Łukasz",
    "Amélie",
)
LAST = (
    "Hansen",
    "Johansen",
    "Olsen",
    "Larsen",
    "Andersson",
    "Karlsson",
    "Nilsson",
    "Jensen",
    "Nielsen",
    "Pedersen",
    "de Vries",
    "Jansen",
    "van Dijk",
    "Bakker",
    "Visser",
    "Berg",
    "Lund",
    "Haugen",
    "Dahl",
    "Lindqvist",
    "Øverland",
    "Ødegård",
    "Sørensen",
    "Åberg",
    "Müller",
    "García",
    "Kowalski",
    "Haddad",
)
TITLES = (
    "Engineer",
    "Specialist",
    "Coordinator",
    "Analyst",
    "Advisor",
    "Technician",
    "Consultant",
    "Operator",
    "Planner",
    "Assistant",
    "Senior Engineer",
    "Team Lead",
)


def generate_people(plan: Plan) -> None:
    """The departments (the demo's five and more) and ``plan.employees`` people spread over them."""
    rng = plan.rng("auth")
    demo = select(User).where(User.dn.like(f"%,{BASE}")).order_by(User.username)
    plan.demo_staff = {u.username: u.id for u in db.session.scalars(demo)}
    plan.departments = [_department(name).id for name in DEPARTMENTS]
    db.session.flush()
    first_id = next_id(User.__table__)
    sizes = [rng.uniform(0.3, 3.0) for _ in plan.departments]

    def rows() -> Iterator[dict[str, Any]]:
        for n in range(plan.employees):
            uid = first_id + n
            dept = rng.choices(plan.departments, sizes)[0]
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            username = f"{slugify(name).replace('-', '.')}.{n}"
            plan.people.append((uid, dept))
            yield {
                "id": uid,
                "directory_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "username": username,
                "dn": f"uid={username},ou=generated,{BASE}",
                "display_name": name,
                "email": f"{username}@generated.ting.example",
                "title": rng.choice(TITLES),
                "department_id": dept,
                "created_at": plan.now,
                "synced_at": plan.now,
            }

    bulk_insert(plan, "employees", User.__table__, rows(), plan.employees)
    _leads(plan, rng)


def _department(name: str) -> Department:
    found = db.session.scalar(select(Department).where(Department.name == name))
    if found is None:
        found = Department(name=name, slug=slugify(name))
        db.session.add(found)
        db.session.flush()
    return found


def _leads(plan: Plan, rng: Any) -> None:
    """Two leads per department that has none yet (the demo departments keep their own)."""
    led = set(db.session.scalars(select(department_leads.c.department_id)))
    by_dept: dict[int, list[int]] = {}
    for uid, dept in plan.people:
        by_dept.setdefault(dept, []).append(uid)
    rows = [
        {"department_id": dept, "user_id": uid}
        for dept, staff in sorted(by_dept.items())
        if dept not in led
        for uid in rng.sample(staff, min(2, len(staff)))
    ]
    bulk_insert(plan, "department leads", department_leads, rows, len(rows))

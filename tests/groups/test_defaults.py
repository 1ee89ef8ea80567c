"""Every department from the directory gets one default open group; the demo adds content once."""

from __future__ import annotations

from sqlalchemy import func, select

from groups.models import Group, Thread, Visibility
from intranet.extensions import db
from intranet.models import Department
from tests.conftest import login


def _defaults() -> dict[str, list[Group]]:
    out: dict[str, list[Group]] = {}
    for group in db.session.scalars(select(Group).where(Group.is_default.is_(True))):
        out.setdefault(group.department.name, []).append(group)
    return out


def test_login_creates_the_default_group_of_a_new_department(app, client):
    assert login(client, "zoe", "demo").status_code == 302
    with app.app_context():
        departments = set(db.session.scalars(select(Department.name)))
        defaults = _defaults()
        assert "Engineering" in departments
        assert set(defaults) == departments
        assert all(len(g) == 1 and g[0].visibility == Visibility.OPEN for g in defaults.values())
        assert all(g[0].parent_id is None for g in defaults.values())


def test_demo_load_gives_each_department_one_default_group_and_content_once(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        threads = db.session.scalar(select(func.count(Thread.id)))
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        defaults = _defaults()
        assert len(defaults) == db.session.scalar(select(func.count(Department.id))) == 5
        assert all(len(groups) == 1 for groups in defaults.values())
        assert threads > 0
        assert db.session.scalar(select(func.count(Thread.id))) == threads


def test_ensure_defaults_command_is_idempotent(app):
    runner = app.test_cli_runner()
    with app.app_context():
        db.session.add_all(
            [Department(name="Legal", slug="legal"), Department(name="Support", slug="support")]
        )
        db.session.commit()
    first = runner.invoke(args=["groups", "ensure-defaults"])
    second = runner.invoke(args=["groups", "ensure-defaults"])
    assert "created: 2" in first.output
    assert "created: 0" in second.output

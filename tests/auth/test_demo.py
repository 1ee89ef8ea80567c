"""The embedded demo directory behind `make run`."""

from sqlalchemy import func, select

from auth.demo import STAFF, DemoDirectory
from intranet.extensions import db
from intranet.models import Department, User
from tests.conftest import login


def test_demo_directory_has_about_thirty_staff_in_five_departments():
    entries = list(DemoDirectory().all_users())
    assert 25 <= len(entries) <= 35
    assert len({e.department for e in entries}) == 5
    names = {e.display_name for e in entries}
    assert {"Bjørn Ødegård", "Zoë O'Brien"} <= names
    assert len({e.directory_id for e in entries}) == len(entries)


def test_demo_load_is_idempotent_and_gives_roles(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert f"{len(STAFF)} new" in first.output
    second = runner.invoke(args=["demo", "load"])
    assert "0 new" in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == len(STAFF)
        depts = db.session.scalars(select(Department)).all()
        assert all(d.leads for d in depts), "every demo department has a lead"
        assert db.session.scalar(select(User).where(User.username == "jurgen")).is_admin  # nested group
        assert db.session.scalar(select(User).where(User.username == "ingrid")).is_management


def test_login_page_says_it_is_a_demo(client):
    html = client.get("/login").get_data(as_text=True)
    assert "This is a demo" in html
    for account in ["ingrid", "bjorn", "jurgen", "zoe"]:
        assert f"<code>{account}</code>" in html


def test_demo_wrong_password_is_refused(client):
    r = login(client, "zoe", "not-demo")
    assert r.status_code == 401


def test_departments_page_lists_leads(app, client):
    app.test_cli_runner().invoke(args=["demo", "load"])
    login(client, "zoe", "demo")
    html = client.get("/departments").get_data(as_text=True)
    for text in ["Engineering", "Human Resources", "Bjørn Ødegård", "Fatima Zahra Benali", "8 people"]:
        assert text in html


def test_deactivated_people_show_as_deactivated(app, client):
    login(client, "zoe", "demo")  # provisions zoe and her manager bjorn
    with app.app_context():
        bjorn = db.session.scalar(select(User).where(User.username == "bjorn"))
        bjorn.is_deactivated = True
        db.session.commit()
    html = client.get("/profile").get_data(as_text=True)
    assert "Bjørn Ødegård" in html and "(deactivated)" in html

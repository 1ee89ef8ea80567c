from tests.conftest import login


def test_healthz_reports_database_and_directory(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.get_json() == {"status": "ok", "database": "ok", "directory": "ok"}


def test_profile_shows_directory_facts_and_roles(client):
    assert login(client, "bjorn", "demo").status_code == 302
    html = client.get("/profile").get_data(as_text=True)
    assert "Bjørn Ødegård" in html
    assert "Head of Engineering" in html
    assert "Department lead of Engineering" in html
    assert "Ingrid Solberg" in html  # manager

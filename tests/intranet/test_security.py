import re

import pytest

from intranet.security import is_safe_next
from tests.conftest import csrf_token, login, logout


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "/\\evil.example",
        "https://evil.example/",
        "http:/evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/\t/evil.example",
        "/%0a/x\n",
        "",
        None,
    ],
)
def test_is_safe_next_refuses_other_sites(target):
    assert not is_safe_next(target)


@pytest.mark.parametrize("target", ["/profile", "/departments?page=2", "/groups/x#top"])
def test_is_safe_next_accepts_local_paths(target):
    assert is_safe_next(target)


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/x", "/\\evil.example"])
def test_login_never_redirects_off_site(client, target):
    r = login(client, "zoe", "demo", next=target)
    assert r.status_code == 302
    assert r.headers["Location"] == "/profile"


def test_login_follows_a_local_next(client):
    r = login(client, "zoe", "demo", next="/departments")
    assert r.headers["Location"] == "/departments"


def test_login_page_carries_next_through_the_form(client):
    r = client.get("/departments")
    assert r.status_code == 302 and "/login?next=%2Fdepartments" in r.headers["Location"]
    html = client.get("/login?next=/departments").get_data(as_text=True)
    assert re.search(r'name="next" type="hidden" value="/departments"', html)


def test_post_without_csrf_token_is_refused(client):
    r = client.post("/login", data={"username": "zoe", "password": "demo"})
    assert r.status_code == 400
    assert "expired" in r.get_data(as_text=True)
    assert client.get("/profile").status_code == 302  # not logged in


def test_logout_without_csrf_token_is_refused(client):
    login(client, "zoe", "demo")
    assert client.post("/logout").status_code == 400
    assert client.get("/profile").status_code == 200  # still logged in


def test_logout_is_post_only(client):
    login(client, "zoe", "demo")
    assert client.get("/logout").status_code == 405
    assert client.get("/profile").status_code == 200


def test_logout_invalidates_the_session_server_side(app, client):
    login(client, "zoe", "demo")
    stolen = client.get_cookie("session").value
    assert logout(client).headers["Location"] == "/login"
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/profile").status_code == 302  # the old cookie no longer opens a session


def test_session_cookie_flags(client):
    r = login(client, "zoe", "demo")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Expires=" in cookie  # permanent session, with the configured lifetime


def test_secure_cookie_in_production_settings(make_app):
    app = make_app(SESSION_COOKIE_SECURE=True)
    client = app.test_client()
    r = login(client, "zoe", "demo")
    assert "Secure" in r.headers["Set-Cookie"]


def test_security_headers_on_every_page(client):
    for path in ["/login", "/healthz", "/no-such-page"]:
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "http" not in csp  # no outside origin allowed
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["Cache-Control"] == "no-store"


def test_pages_link_no_outside_resources(client):
    login(client, "bjorn", "demo")
    for path in ["/login", "/profile", "/departments"]:
        html = client.get(path).get_data(as_text=True)
        assert not re.search(r'(src|href)="(https?:)?//', html), path


def test_unknown_page_is_a_friendly_404(client):
    r = client.get("/no-such-page")
    assert r.status_code == 404
    assert "There is nothing here" in r.get_data(as_text=True)


def test_login_required_pages_redirect_to_login(client):
    for path in ["/", "/profile", "/departments"]:
        r = client.get(path)
        assert r.status_code == 302 and r.headers["Location"].startswith("/login")


def test_login_generates_a_fresh_session(client):
    csrf_token(client)  # an anonymous session exists before login
    before = client.get_cookie("session").value
    login(client, "zoe", "demo")
    assert client.get_cookie("session").value != before

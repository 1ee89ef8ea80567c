"""The directory slow, hanging or gone during logins and during `flask directory sync`.

Ting talks to the test's real OpenLDAP through a loopback proxy that can delay, hang or cut
the connection, at once or in the middle of an answer (tests/faults/proxy.py).
"""

from __future__ import annotations

import html
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from intranet.extensions import db
from intranet.models import User
from tests.auth.conftest import ldap_config
from tests.conftest import login
from tests.faults.proxy import Proxy
from tests.ldap_server import SlapdServer

TIMEOUT = 1  # LDAP_TIMEOUT, seconds
DOWN = "The company directory is not answering right now"


@pytest.fixture
def proxy(slapd: SlapdServer) -> Iterator[Proxy]:
    host, port = slapd.ldap_url.removeprefix("ldap://").rsplit(":", 1)
    through = Proxy(host, int(port))
    yield through
    through.close()


@pytest.fixture
def app(slapd: SlapdServer, proxy: Proxy, make_app: Any) -> Any:
    through = f"ldap://127.0.0.1:{proxy.port}"
    return make_app(**ldap_config(slapd, LDAP_URL=through, LDAP_TIMEOUT=TIMEOUT, LDAP_PAGE_SIZE=2))


def people(app: Any) -> dict[str, tuple]:
    with app.app_context():
        found = {
            u.username: (u.display_name, u.email, u.department_id, u.is_deactivated)
            for u in db.session.scalars(select(User))
        }
        db.session.remove()
    return found


def sync(app: Any) -> Any:
    return app.test_cli_runner().invoke(args=["directory", "sync", "--no-progress"])


def timed(call: Any) -> tuple[Any, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def test_a_slow_directory_still_logs_people_in(app: Any, proxy: Proxy) -> None:
    proxy.set("slow", delay=TIMEOUT * 0.4)  # every answer late, each within the timeout
    answer, seconds = timed(lambda: login(app.test_client(), "alice", "alice-pw"))
    assert answer.status_code == 302 and seconds > TIMEOUT * 0.4


@pytest.mark.parametrize("how", ["stall", "cut"])
@pytest.mark.parametrize("when", ["at once", "mid-answer"])
def test_a_hanging_or_vanished_directory_at_login_is_a_friendly_page_in_bounded_time(
    app: Any, proxy: Proxy, how: str, when: str
) -> None:
    client = app.test_client()
    assert login(app.test_client(), "alice", "alice-pw").status_code == 302
    if when == "at once":
        proxy.set(how)
    else:  # StartTLS and the first answers went through; the directory dies or hangs in the last
        proxy.set("pass", after=proxy.largest * 2 // 3, then=how)
    answer, seconds = timed(lambda: login(client, "zoe", "zoe-pw"))
    page = html.unescape(answer.get_data(as_text=True))
    assert answer.status_code == 503 and DOWN in page
    assert 'value="zoe"' in page  # the name stays in the form
    assert seconds < 4 * TIMEOUT + 2, seconds  # connect, StartTLS and bind each time out at most once
    assert "zoe" not in people(app)  # nobody half-created

    proxy.set("pass")  # the directory is back: no restart needed
    assert login(client, "zoe", "zoe-pw").status_code == 302
    assert "zoe" in people(app)


def test_people_already_logged_in_keep_working_while_the_directory_is_down(app: Any, proxy: Proxy) -> None:
    client = app.test_client()
    assert login(client, "alice", "alice-pw").status_code == 302
    proxy.set("cut")
    for page in ("/profile", "/suggestions/", "/groups/", "/search/?q=canteen", "/notifications"):
        assert client.get(page).status_code == 200, page
    health = app.test_client().get("/healthz")
    assert health.status_code == 503 and health.get_json()["directory"] == "unavailable"
    newcomer = login(app.test_client(), "bjorn", "bjørn-pw")
    assert newcomer.status_code == 503


@pytest.mark.parametrize("then", ["cut", "stall"])
def test_a_directory_lost_in_the_middle_of_a_sync_changes_nothing(
    app: Any, proxy: Proxy, person: Any, then: str
) -> None:
    first = sync(app)
    assert first.exit_code == 0, first.output
    full = proxy.largest  # one connection lists everybody, page by page
    before = people(app)
    newcomer, _pw = person()  # a sync that completed would add them
    proxy.set("pass", after=full // 2, then=then)  # half the listing, then gone or hanging

    result, seconds = timed(lambda: sync(app))
    assert result.exit_code != 0 and "nothing was changed" in result.output
    assert seconds < 4 * TIMEOUT + 2, seconds
    assert people(app) == before  # nobody deactivated for not being listed, nobody added

    proxy.set("pass")
    assert sync(app).exit_code == 0
    assert newcomer in people(app)  # the same sync does change things once it can finish


def test_a_slow_directory_still_syncs(app: Any, proxy: Proxy) -> None:
    proxy.set("slow", delay=TIMEOUT * 0.3)
    result = sync(app)
    assert result.exit_code == 0, result.output
    assert {"alice", "bjorn", "zoe"} <= set(people(app))

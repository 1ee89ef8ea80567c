"""Races: Ting under gunicorn on loopback, its own database with the demo data, real logins over HTTP.

One server per run (several sync workers, so requests really run at once, in separate
processes with separate database connections), on a database of its own created on the
run's server (SQLite file or PostgreSQL, as ``TEST_DATABASE_URL`` says). Each test works
on rows of its own (new suggestions, its own people's requests, its own posts), fires its
requests through a barrier, and ends by reading the database directly. The server's log
must show no exception: a 500 fails the test even when its answer was not looked at.
"""

from __future__ import annotations

import html
import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from intranet.extensions import db
from suggestions.forms import CATEGORIES
from tests.conftest import CSRF_RE, SECRET, Databases, base_config, demo_app

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 4
BOOT_SECONDS = 60


@dataclass
class Answer:
    status: int
    text: str
    location: str = ""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any) -> None:
        return None  # a redirect is an answer to look at, not to follow


class Visitor:
    """One person's browser: a cookie jar, the form's CSRF token, answers as they came (no redirects)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)
        self.token = ""

    def _open(self, path: str, data: dict[str, str] | None = None) -> Answer:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=30) as answer:
                return Answer(answer.status, answer.read().decode())
        except urllib.error.HTTPError as answer:
            return Answer(answer.code, answer.read().decode(), answer.headers.get("Location", ""))

    def get(self, path: str) -> Answer:
        return self._open(path)

    def post(self, path: str, **form: str) -> Answer:
        """A form POST with this session's CSRF token."""
        return self._open(path, {"csrf_token": self.token, **form})

    def log_in(self, username: str) -> Visitor:
        """The login form as a browser sends it; keeps the signed-in session's CSRF token."""
        self.token = csrf_from(self.get("/login").text)
        answer = self.post("/login", username=username, password="demo")
        assert answer.status == 302, f"login of {username}: {answer.status}"
        self.token = csrf_from(self.get("/profile").text)
        return self

    def suggest(self, title: str, department_id: int) -> int:
        """Send a signed suggestion to a department; its number."""
        answer = self.post(
            "/suggestions/new", title=title, body=f"{title}: details.", target=str(department_id),
            category=next(iter(CATEGORIES)), identity="named",
        )  # fmt: skip
        assert answer.status == 302, answer.text[:500]
        return int(answer.location.rstrip("/").rsplit("/", 1)[1])

    def tab(self) -> Visitor:
        """A second tab of the same browser: the same cookies."""
        other = Visitor(self.base)
        other.jar, other.opener, other.token = self.jar, self.opener, self.token
        return other


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


def hidden(html: str, name: str) -> str:
    """The value of a hidden input (the form's version field)."""
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'<input[^>]*value="([^"]*)"[^>]*name="{name}"', html
    )
    assert match, f"no hidden field {name!r} on the page"
    return match.group(1)


def textarea(page: str, name: str) -> str:
    """The text a form's textarea holds, as the person would see it."""
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    assert match, f"no textarea {name!r} on the page"
    return html.unescape(match.group(1)).strip()


def at_once(*calls: Callable[[], Answer]) -> list[Answer]:
    """Run the calls in threads released together by a barrier; their answers in order."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Answer]) -> Answer:
        barrier.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


@dataclass
class Server:
    base: str
    app: Flask  # the same database, for reading it directly
    log: Path

    def visitor(self, username: str) -> Visitor:
        return Visitor(self.base).log_in(username)


def _gunicorn() -> str:
    found = shutil.which("gunicorn", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail("gunicorn is missing: run `make install-test` (it is in the test extra).")
    return found


def _start(env: dict[str, str], ready: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    # The test holds the listening socket and hands it over: no free-port guess to lose.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [_gunicorn(), "--workers", str(WORKERS), "--bind", f"fd://{sock.fileno()}",
             "--config", str(Path(__file__).with_name("gunicorn_conf.py")),
             "--timeout", "60", "--graceful-timeout", "5", "--log-level", "warning", "wsgi:app"],
            env=env, cwd=ROOT, stdout=out, stderr=out, pass_fds=[sock.fileno()], start_new_session=True,
        )  # fmt: skip
    sock.close()
    deadline = time.monotonic() + BOOT_SECONDS
    while len(list(ready.iterdir())) < WORKERS:
        if proc.poll() is not None or time.monotonic() > deadline:
            _stop(proc)
            pytest.fail(f"gunicorn did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)
    return proc, f"http://127.0.0.1:{port}"


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="session")
def server(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """gunicorn with WORKERS sync workers on a database of its own holding the demo (`flask demo load`)."""
    home = tmp_path_factory.mktemp("races")
    url = databases.create()
    config = base_config(url, INDEX_DIR=str(home / "index"))
    app = demo_app(config)
    with app.app_context():
        db.engine.dispose()
    app.extensions["search"].close()

    env = {k: v for k, v in os.environ.items() if not k.startswith("INTRANET_")}
    env.update(
        INTRANET_DATABASE_URL=url,
        INTRANET_SECRET_KEY=SECRET,
        INTRANET_INDEX_DIR=config["INDEX_DIR"],
        INTRANET_SEARCH_BACKEND=config["SEARCH_BACKEND"],
        INTRANET_LOG_LEVEL="WARNING",
        RACES_READY_DIR=str(home / "ready"),
    )
    (home / "ready").mkdir()
    log = home / "gunicorn.log"
    proc, base = _start(env, home / "ready", log)
    try:
        yield Server(base, app, log)
    finally:
        _stop(proc)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(autouse=True)
def no_server_errors(server: Server) -> Iterator[None]:
    """Whatever the answers said, the server logged no exception during the test."""
    start = server.log.stat().st_size
    yield
    with server.log.open() as handle:
        handle.seek(start)
        logged = handle.read()
    assert "Traceback" not in logged and "Exception on" not in logged, logged[-5000:]


@pytest.fixture
def ctx(server: Server) -> Iterator[None]:
    """An app context on the server's database, for reading (and setting up) rows directly."""
    with server.app.app_context():
        yield
        db.session.rollback()
        db.session.remove()

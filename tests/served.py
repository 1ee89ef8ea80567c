"""Ting served for real: gunicorn on loopback, and people's browsers as HTTP clients.

Shared by the race and fault suites: a server on a database of its own, workers that say when
they are ready (and which request each one is busy with), visitors with real form logins.
"""

from __future__ import annotations

import html
import http.client
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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from suggestions.forms import CATEGORIES
from tests.conftest import CSRF_RE, SECRET

ROOT = Path(__file__).resolve().parents[1]
BOOT_SECONDS = 60
#: No answer at all: the connection was cut (a worker killed mid-request).
NO_ANSWER = 0


@dataclass
class Answer:
    status: int
    text: str
    location: str = ""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any) -> None:
        return None  # a redirect is an answer to look at, not to follow


class Visitor:
    """One person's browser: a cookie jar, the form's CSRF token, answers as they came (no redirects).

    A cut connection is ``Answer(NO_ANSWER, …)`` when ``cut_ok`` is set, else the error it was.
    """

    def __init__(self, base: str, cut_ok: bool = False) -> None:
        self.base = base
        self.cut_ok = cut_ok
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
        except (OSError, http.client.HTTPException) as exc:  # URLError, reset, RemoteDisconnected
            if not self.cut_ok:
                raise
            return Answer(NO_ANSWER, repr(exc))

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
        other = Visitor(self.base, self.cut_ok)
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
    """A running gunicorn: its address, an app on the same database (to read it directly), its log."""

    base: str
    app: Flask
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    home: Path | None = None
    env: dict[str, str] = field(default_factory=dict)

    def visitor(self, username: str, cut_ok: bool = False) -> Visitor:
        return Visitor(self.base, cut_ok).log_in(username)

    def workers(self) -> set[int]:
        """The pids of the workers that have loaded the app and are alive."""
        assert self.home is not None
        alive = set()
        for entry in (self.home / "ready").iterdir():
            pid = int(entry.name)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                continue
            alive.add(pid)
        return alive

    def busy(self) -> dict[int, str]:
        """Worker pid → the path of the request it is handling now."""
        assert self.home is not None
        return {int(p.name): p.read_text() for p in (self.home / "busy").iterdir()}

    def logged_since(self, offset: int) -> str:
        with self.log.open() as handle:
            handle.seek(offset)
            return handle.read()


def _gunicorn() -> str:
    found = shutil.which("gunicorn", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail("gunicorn is missing: run `make install-test` (it is in the test extra).")
    return found


def server_env(url: str, config: dict[str, Any], home: Path, **extra: str) -> dict[str, str]:
    """The environment of a gunicorn serving ``config`` on ``url`` (no INTRANET_* leaks in)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTRANET_")}
    env.update(
        INTRANET_DATABASE_URL=url,
        INTRANET_SECRET_KEY=SECRET,
        INTRANET_INDEX_DIR=config["INDEX_DIR"],
        INTRANET_SEARCH_BACKEND=config["SEARCH_BACKEND"],
        INTRANET_LOG_LEVEL="WARNING",
        TEST_SERVER_HOME=str(home),
        **extra,
    )
    return env


def start(app: Flask, env: dict[str, str], home: Path, workers: int) -> Server:
    """gunicorn with ``workers`` sync workers; returns once every worker has loaded the app."""
    for sub in ("ready", "busy"):
        (home / sub).mkdir(exist_ok=True)
    log = home / "gunicorn.log"
    # The test holds the listening socket and hands it over: no free-port guess to lose.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [_gunicorn(), "--workers", str(workers), "--bind", f"fd://{sock.fileno()}",
             "--config", str(ROOT / "tests" / "gunicorn_conf.py"),
             "--timeout", "60", "--graceful-timeout", "5", "--log-level", "warning", "wsgi:app"],
            env=env, cwd=ROOT, stdout=out, stderr=out, pass_fds=[sock.fileno()], start_new_session=True,
        )  # fmt: skip
    sock.close()
    server = Server(f"http://127.0.0.1:{port}", app, log, proc, home, env)
    wait_for_workers(server, workers)
    return server


def wait_for_workers(server: Server, count: int) -> None:
    assert server.proc is not None
    deadline = time.monotonic() + BOOT_SECONDS
    while len(server.workers()) < count:
        if server.proc.poll() is not None or time.monotonic() > deadline:
            stop(server)
            pytest.fail(f"gunicorn did not start its workers:\n{server.log.read_text()[-3000:]}")
        time.sleep(0.1)


def stop(server: Server) -> None:
    proc = server.proc
    if proc is not None and proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def assert_no_exceptions(logged: str) -> None:
    """A 500 fails the test even when its answer was not looked at."""
    assert "Traceback" not in logged and "Exception on" not in logged, logged[-5000:]

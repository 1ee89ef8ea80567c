"""A real SMTP server for the tests: aiosmtpd on a loopback port, keeping what it receives.

    with SmtpServer() as smtp:
        app = make_app(SMTP_URL=smtp.url)
        ...
        assert smtp.messages[0].message["Subject"] == "Hello"

Switches make it answer like an unhappy relay: `fail_data` (451 to DATA),
`refuse` (550 to RCPT for the addresses in it, or every address with `refuse_all`).
With `tls=` it offers STARTTLS (or speaks implicit TLS) with a throwaway certificate
made by the `openssl` CLI, whose file `ca_file` the client can trust.
"""

from __future__ import annotations

import atexit
import email
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self
from urllib.parse import quote

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


@dataclass
class Received:
    """One message as the server got it."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage  # parsed with email.policy.default
    raw: bytes  # as received, CRLF line ends
    peer: tuple[str, int]  # the client's address: the same for messages sent on one connection


class Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(
        self, smtp: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if self.server.refuse_all or address.lower() in {a.lower() for a in self.server.refuse}:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp: SMTP, session: Session, envelope: Envelope) -> str:
        if self.server.fail_data:
            return "451 4.3.0 Try again later"
        assert isinstance(envelope.content, bytes)
        # Line ends as a mailbox stores them, so text parts read back as they were written.
        raw = envelope.content.replace(b"\r\n", b"\n")
        message = email.message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        peer = (str(session.peer[0]), int(session.peer[1]))
        with self.server.lock:
            self.server.messages.append(
                Received(str(envelope.mail_from), list(envelope.rcpt_tos), message, envelope.content, peer)
            )
        return "250 Message accepted for delivery"


class _Controller(Controller):
    """Serves on a socket bound beforehand, so no other process can take the port in between."""

    def __init__(self, handler: Handler, sock: socket.socket, **kwargs: Any) -> None:
        self.sock = sock
        super().__init__(handler, hostname="127.0.0.1", port=sock.getsockname()[1], **kwargs)

    def _create_server(self) -> Any:
        return self.loop.create_server(self._factory_invoker, sock=self.sock, ssl=self.ssl_context)


class SmtpServer:
    """aiosmtpd in a thread on 127.0.0.1; `start()`/`stop()` or `with`."""

    def __init__(
        self,
        *,
        tls: Literal["starttls", "implicit"] | None = None,
        login: tuple[str, str] | None = None,
    ) -> None:
        self.tls = tls
        self.login = login
        self.messages: list[Received] = []
        self.logins: list[str] = []
        self.fail_data = False
        self.refuse: set[str] = set()
        self.refuse_all = False
        self.lock = threading.Lock()
        self.ca_file = ""
        self.port = 0
        self._controller: _Controller | None = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The SMTP_URL for this server, with the login's user and password when it has one."""
        scheme = {None: "smtp", "starttls": "smtp+starttls", "implicit": "smtps"}[self.tls]
        return f"{scheme}://{self.userinfo()}127.0.0.1:{self.port}"

    def userinfo(self) -> str:
        """The login as the user:password@ part of a URL, percent-encoded."""
        if self.login is None:
            return ""
        return f"{quote(self.login[0], safe='')}:{quote(self.login[1], safe='')}@"

    def start(self) -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        kwargs: dict[str, Any] = {"server_hostname": "localhost", "ready_timeout": 5.0}
        if self.tls:
            context, self.ca_file = _tls_context()
            kwargs["ssl_context" if self.tls == "implicit" else "tls_context"] = context
            if self.tls == "starttls":
                kwargs["require_starttls"] = True
        if self.login:
            kwargs["authenticator"] = self._authenticate
            kwargs["auth_required"] = True
        self._controller = _Controller(Handler(self), sock, **kwargs)
        try:
            self._controller.start()
        except BaseException:
            self._controller.stop(no_assert=True)
            sock.close()
            raise

    def stop(self) -> None:
        """Stop serving and free the port (safe to call twice)."""
        if self._controller is not None:
            self._controller.stop()
            self._controller.sock.close()
            self._controller = None

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert self.login is not None
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == self.login[0]
            and auth_data.password.decode() == self.login[1]
        )
        if ok:
            self.logins.append(self.login[0])
        return AuthResult(success=ok, handled=False)


_CERT: tuple[str, str] | None = None


def _tls_context() -> tuple[ssl.SSLContext, str]:
    """A server context with a throwaway self-signed certificate for 127.0.0.1, and the file to trust."""
    global _CERT
    if _CERT is None:
        tmp = Path(tempfile.mkdtemp(prefix="ting-smtp-"))
        atexit.register(shutil.rmtree, tmp, ignore_errors=True)
        cert, key = tmp / "cert.pem", tmp / "key.pem"
        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-days", "2", "-subj", "/CN=Ting test SMTP",
                "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-keyout", str(key), "-out", str(cert),
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip
        _CERT = (str(cert), str(key))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*_CERT)
    return context, _CERT[0]


_HELD: list[socket.socket] = []
atexit.register(lambda: [s.close() for s in _HELD])


def down_url() -> str:
    """An SMTP_URL on a loopback port that is bound for the run (so nothing else gets it) and never listens.

    A port merely freed again can be handed out as the client's own source port, and
    a connection to it then "succeeds" by connecting to itself (TCP simultaneous open).
    """
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    _HELD.append(s)
    return f"smtp://127.0.0.1:{s.getsockname()[1]}"


class SilentServer:
    """Accepts connections and never says a word: a relay that hangs."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"smtp://127.0.0.1:{self.sock.getsockname()[1]}"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()

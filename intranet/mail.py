"""Outgoing mail: one SMTP connection per batch of messages, or the log when SMTP_URL is unset.

    with connection() as conn:
        for message in messages:
            conn.send(message)

Every failure of the relay (unreachable, timed out, TLS, login, refused) is a
`MailError` whose text names the relay's host:port and never its password.
Recipients given as directory group DNs are resolved through the function that
the directory package registers as ``app.extensions["ting.group_addresses"]``
(intranet must not import auth).
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from flask import current_app

log = logging.getLogger(__name__)

SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
GROUP_RESOLVER = "ting.group_addresses"

# Loose on purpose: one "@", something on both sides, nothing that would split a header.
_ADDRESS = re.compile(r"^[^@\s<>,;:\"()\[\]]+@[^@\s<>,;:\"()\[\]]+$")


class MailError(Exception):
    """The relay could not be reached, timed out, failed TLS or login, or refused the message."""


class RecipientsUnavailable(Exception):
    """The directory could not resolve a group of recipients."""


class Connection(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Send to the message's To, Cc and Bcc; raises MailError."""


def sender() -> str:
    """The From address of the app's mail."""
    return current_app.config["MAIL_FROM"]


@contextmanager
def connection() -> Iterator[Connection]:
    """One connection to the relay (or to the log, without SMTP_URL), closed on exit."""
    cfg = current_app.config
    if not cfg.get("SMTP_URL"):
        yield LogConnection()
        return
    relay = Relay.from_config(cfg)
    smtp = relay.open()
    try:
        yield SmtpConnection(smtp, relay.where)
    finally:
        _close(smtp)


@dataclass(frozen=True)
class Relay:
    """Where and how to reach the SMTP relay, read from SMTP_URL."""

    scheme: str
    host: str
    port: int
    username: str | None
    password: str | None
    timeout: float
    ca_file: str | None

    @classmethod
    def from_config(cls, cfg: Any) -> Relay:
        url = str(cfg["SMTP_URL"])
        try:
            parts = urlsplit(url)
            scheme = parts.scheme.lower()
            host = parts.hostname
            port = parts.port
        except ValueError as exc:  # a port that is not a number; the message never repeats the URL
            raise MailError("SMTP_URL is not a valid URL (smtp://host:port)") from exc
        if scheme not in SCHEMES:
            raise MailError("SMTP_URL must start with smtp://, smtp+starttls:// or smtps://")
        if not host:
            raise MailError("SMTP_URL names no host")
        relay = cls(
            scheme=scheme,
            host=host,
            port=port or SCHEMES[scheme],
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
            timeout=float(cfg.get("SMTP_TIMEOUT") or 10),
            ca_file=cfg.get("SMTP_CA_FILE") or None,
        )
        if relay.username and scheme == "smtp":
            # Fail closed: a login over plain smtp:// would send the password in clear.
            raise MailError(f"mail relay {relay.where}: a login needs smtp+starttls:// or smtps://")
        return relay

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def open(self) -> smtplib.SMTP:
        """Connect, secure and log in; every failure is a MailError."""
        smtp: smtplib.SMTP | None = None
        try:
            context = ssl.create_default_context(cafile=self.ca_file)
            if self.scheme == "smtps":
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            smtp.ehlo()
            if self.scheme == "smtp+starttls":
                if not smtp.has_extn("starttls"):
                    raise MailError(
                        f"mail relay {self.where} does not offer STARTTLS, which SMTP_URL requires"
                    )
                smtp.starttls(context=context)
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password or "")
        except MailError:
            _close(smtp, polite=False)
            raise
        except smtplib.SMTPAuthenticationError as exc:
            _close(smtp, polite=False)
            raise MailError(f"mail relay {self.where} refused the login ({_reply(exc)})") from exc
        except (smtplib.SMTPException, OSError) as exc:
            _close(smtp, polite=False)
            raise MailError(f"mail relay {self.where}: {_describe(exc)}") from exc
        return smtp


class SmtpConnection:
    """Messages sent over one open SMTP session."""

    def __init__(self, smtp: smtplib.SMTP, where: str) -> None:
        self._smtp = smtp
        self._where = where

    def send(self, message: EmailMessage) -> None:
        to = recipients_of(message)
        try:
            refused = self._smtp.send_message(message, to_addrs=to)
        except smtplib.SMTPRecipientsRefused as exc:
            raise MailError(
                f"mail relay {self._where} refused all {len(exc.recipients)} recipient(s)"
            ) from exc
        except smtplib.SMTPSenderRefused as exc:
            raise MailError(f"mail relay {self._where} refused the sender ({_reply(exc)})") from exc
        except smtplib.SMTPDataError as exc:
            raise MailError(f"mail relay {self._where} refused the message ({_reply(exc)})") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(f"mail relay {self._where}: {_describe(exc)}") from exc
        if refused:
            # The others got it: say so, so the caller does not resend to them blindly.
            raise MailError(
                f"mail relay {self._where} refused {len(refused)} of {len(to)} recipients "
                "(the others were sent the message)"
            )


class LogConnection:
    """Without SMTP_URL: each message's recipients, subject and plain text go to the log; nothing is kept."""

    def send(self, message: EmailMessage) -> None:
        to = recipients_of(message)
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        log.info(
            "Mail not sent (SMTP_URL unset)\nTo: %s\nSubject: %s\n\n%s",
            ", ".join(to),
            message["Subject"],
            text,
        )


def recipients_of(message: EmailMessage) -> list[str]:
    """The envelope recipients: every address in To, Cc and Bcc."""
    fields = [str(v) for name in ("To", "Cc", "Bcc") for v in message.get_all(name, [])]
    to = [addr for _, addr in getaddresses(fields) if addr]
    if not to:
        raise ValueError("the message has no recipients (To, Cc or Bcc)")
    return to


def expand_recipients(entries: list[str]) -> list[str]:
    """Addresses for configured entries: addresses kept, group DNs resolved through the directory.

    Deduplicated case-insensitively; order as configured, a group's members sorted.
    """
    out: list[str] = []
    seen: set[str] = set()

    def add(address: str) -> None:
        if address.casefold() not in seen:
            seen.add(address.casefold())
            out.append(address)

    for raw in entries:
        entry = raw.strip()
        if "=" in entry:
            members = [m.strip() for m in _group_members(entry)]
            valid = [m for m in members if _ADDRESS.match(m)]
            if len(valid) < len(members):
                log.warning("Skipped %d unusable address(es) of group %s", len(members) - len(valid), entry)
            for address in sorted(valid, key=str.casefold):
                add(address)
        elif "@" in entry:
            if not _ADDRESS.match(entry):
                raise ValueError(f"{entry!r} is not a valid email address")
            add(entry)
        else:
            raise ValueError(f"{entry!r} is neither an email address nor a directory group DN")
    return out


def _group_members(dn: str) -> list[str]:
    resolver: Callable[[str], list[str]] | None = current_app.extensions.get(GROUP_RESOLVER)
    if resolver is None:
        raise RecipientsUnavailable(f"no directory is set up to resolve the group {dn}")
    return resolver(dn)


def _reply(exc: smtplib.SMTPResponseException) -> str:
    """The relay's code and the start of its text."""
    text = (
        exc.smtp_error.decode("utf-8", "replace")
        if isinstance(exc.smtp_error, bytes)
        else str(exc.smtp_error)
    )
    return f"{exc.smtp_code} {' '.join(text.split())[:160]}".strip()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS failed: certificate not trusted ({exc.verify_message})"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed ({exc.reason or exc.__class__.__name__})"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        # smtplib turns a read that timed out into "Connection unexpectedly closed: timed out"
        return "no answer in time" if "timed out" in str(exc) else "the relay closed the connection"
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply(exc)
    if isinstance(exc, OSError):
        return exc.strerror or exc.__class__.__name__
    return exc.__class__.__name__


def _close(smtp: smtplib.SMTP | None, *, polite: bool = True) -> None:
    """QUIT (when asked) and close; a relay that hangs up first is no error here."""
    if smtp is None:
        return
    if polite:
        try:
            smtp.quit()
            return
        except (smtplib.SMTPException, OSError):
            pass
    smtp.close()

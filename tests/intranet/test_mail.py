"""Outgoing mail against a real SMTP server (aiosmtpd on loopback), and recipients from the demo directory."""

from __future__ import annotations

import io
import logging
import time
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from PIL import Image

from intranet.mail import (
    GROUP_RESOLVER,
    MailError,
    RecipientsUnavailable,
    connection,
    expand_recipients,
    sender,
)
from tests.smtp_server import SilentServer, SmtpServer

MANAGEMENT = "cn=management,ou=groups,o=ting-demo"
PASSWORD = "s3cr@t:pw/1"  # characters that must be percent-encoded in a URL


def message(
    to: str = "ingrid@demo.ting.example", subject: str = "Adopted in March", **headers: str
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Ting <ting@localhost>"
    msg["To"] = to
    msg["Subject"] = subject
    for name, value in headers.items():
        msg[name] = value
    msg.set_content("Three suggestions were adopted.\n")
    return msg


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def test_sender_is_mail_from(make_app):
    app = make_app(MAIL_FROM="Ideas <ideas@corp.example>")
    with app.app_context():
        assert sender() == "Ideas <ideas@corp.example>"


def test_connection_delivers_multipart_alternative_with_inline_image(make_app, smtp_server):
    app = make_app(SMTP_URL=smtp_server.url)
    cid = make_msgid(domain="ting.local")
    msg = message(subject="Digest — März")
    msg.add_alternative(f'<p>Three adopted.</p><img src="cid:{cid[1:-1]}">', subtype="html")
    msg.get_payload()[1].add_related(png(), "image", "png", cid=cid, filename="chart.png")
    with app.app_context(), connection() as conn:
        conn.send(msg)

    [got] = smtp_server.messages
    assert got.mail_from == "ting@localhost"
    assert got.rcpt_tos == ["ingrid@demo.ting.example"]
    m = got.message
    assert m["Subject"] == "Digest — März"
    assert m.get_content_type() == "multipart/alternative"
    assert m.get_body(("plain",)).get_content() == "Three suggestions were adopted.\n"
    html = m.get_body(("html",))
    assert f"cid:{cid[1:-1]}" in html.get_content()
    [image] = [p for p in m.walk() if p.get_content_type() == "image/png"]
    assert image["Content-ID"] == cid
    assert image.get_content() == png()
    with Image.open(io.BytesIO(image.get_content())) as img:
        assert img.size == (4, 3)


def test_connection_sends_many_messages_over_one_session(make_app, smtp_server):
    app = make_app(SMTP_URL=smtp_server.url)
    with app.app_context(), connection() as conn:
        for to in ("ingrid@demo.ting.example", "mateo@demo.ting.example", "bjorn@demo.ting.example"):
            conn.send(message(to=to))
    assert [m.rcpt_tos for m in smtp_server.messages] == [
        ["ingrid@demo.ting.example"],
        ["mateo@demo.ting.example"],
        ["bjorn@demo.ting.example"],
    ]
    assert len({m.peer for m in smtp_server.messages}) == 1


def test_connection_sends_to_cc_and_bcc_without_showing_bcc(make_app, smtp_server):
    app = make_app(SMTP_URL=smtp_server.url)
    with app.app_context(), connection() as conn:
        conn.send(message(Cc="mateo@demo.ting.example", Bcc="audit@corp.example"))
    [got] = smtp_server.messages
    assert got.rcpt_tos == ["ingrid@demo.ting.example", "mateo@demo.ting.example", "audit@corp.example"]
    assert got.message["Bcc"] is None
    assert "audit@corp.example" not in got.message.as_string()


def test_connection_without_recipients_is_a_programming_error(make_app, smtp_server):
    app = make_app(SMTP_URL=smtp_server.url)
    msg = message()
    del msg["To"]
    with app.app_context(), connection() as conn, pytest.raises(ValueError, match="no recipients"):
        conn.send(msg)


def test_connection_without_smtp_url_writes_to_the_log(make_app, caplog):
    app = make_app()
    assert app.config["SMTP_URL"] is None
    msg = message(subject="Adopted in March")
    msg.add_alternative("<p>HTML only text</p>", subtype="html")
    with caplog.at_level(logging.INFO, logger="intranet.mail"), app.app_context(), connection() as conn:
        conn.send(msg)
    [record] = [r for r in caplog.records if r.name == "intranet.mail"]
    assert record.levelno == logging.INFO
    text = record.getMessage()
    assert "To: ingrid@demo.ting.example" in text
    assert "Subject: Adopted in March" in text
    assert "Three suggestions were adopted." in text
    assert "HTML only text" not in text


def test_connection_to_a_relay_that_is_down_fails_without_the_password(make_app, smtp_down_url):
    url = smtp_down_url.replace("smtp://", "smtp+starttls://mailer:s3cr%40t@")
    app = make_app(SMTP_URL=url)
    port = url.rsplit(":", 1)[1]
    with app.app_context(), pytest.raises(MailError) as info, connection():
        pass
    assert f"127.0.0.1:{port}" in str(info.value)
    assert "connection refused" in str(info.value)
    for text in (str(info.value), repr(info.value), str(info.value.__cause__)):
        assert "s3cr" not in text


def test_connection_to_a_silent_relay_times_out(make_app):
    with SilentServer() as silent:
        app = make_app(SMTP_URL=silent.url, SMTP_TIMEOUT=1)
        started = time.monotonic()
        with app.app_context(), pytest.raises(MailError, match="no answer in time"), connection():
            pass
    assert time.monotonic() - started < 5


def test_send_answered_451_is_mail_error(make_app, smtp_server):
    app = make_app(SMTP_URL=smtp_server.url)
    smtp_server.fail_data = True
    with app.app_context(), connection() as conn:
        with pytest.raises(MailError, match="451") as info:
            conn.send(message())
        assert f"127.0.0.1:{smtp_server.port}" in str(info.value)
        # The session survives a refused message: the next one goes through.
        smtp_server.fail_data = False
        conn.send(message(subject="Second try"))
    assert [m.message["Subject"] for m in smtp_server.messages] == ["Second try"]


def test_send_to_a_refused_recipient_is_mail_error(make_app, smtp_server):
    app = make_app(SMTP_URL=smtp_server.url)
    smtp_server.refuse_all = True
    with app.app_context(), connection() as conn, pytest.raises(MailError, match="refused all 1 recipient"):
        conn.send(message())
    assert smtp_server.messages == []


def test_send_partly_refused_says_how_many(make_app, smtp_server):
    app = make_app(SMTP_URL=smtp_server.url)
    smtp_server.refuse = {"gone@corp.example"}
    with app.app_context(), connection() as conn, pytest.raises(MailError, match="refused 1 of 2 recipients"):
        conn.send(message(to="ingrid@demo.ting.example, gone@corp.example"))
    assert [m.rcpt_tos for m in smtp_server.messages] == [["ingrid@demo.ting.example"]]


def test_starttls_required_but_not_offered_is_mail_error(make_app, smtp_server):
    app = make_app(SMTP_URL=smtp_server.url.replace("smtp://", "smtp+starttls://"))
    with app.app_context(), pytest.raises(MailError, match="does not offer STARTTLS"), connection():
        pass
    assert smtp_server.messages == []


def test_starttls_with_login_delivers(make_app):
    with SmtpServer(tls="starttls", login=("ting@corp.example", PASSWORD)) as server:
        assert "%40" in server.url and "%3A" in server.url
        app = make_app(SMTP_URL=server.url, SMTP_CA_FILE=server.ca_file)
        with app.app_context(), connection() as conn:
            conn.send(message())
        assert server.logins == ["ting@corp.example"]
        assert len(server.messages) == 1


def test_starttls_with_a_wrong_password_is_mail_error_without_it(make_app):
    with SmtpServer(tls="starttls", login=("ting", PASSWORD)) as server:
        app = make_app(SMTP_URL=server.url.replace("%40t", "%40WRONG"), SMTP_CA_FILE=server.ca_file)
        with app.app_context(), pytest.raises(MailError, match="refused the login") as info, connection():
            pass
        assert f"127.0.0.1:{server.port}" in str(info.value)
        assert "WRONG" not in str(info.value) and "s3cr" not in str(info.value)


def test_starttls_with_an_untrusted_certificate_is_mail_error(make_app):
    with SmtpServer(tls="starttls") as server:
        app = make_app(SMTP_URL=server.url)  # no SMTP_CA_FILE: the system's CAs do not know it
        with app.app_context(), pytest.raises(MailError, match="TLS failed"), connection():
            pass
        assert server.messages == []


def test_smtps_implicit_tls_delivers(make_app):
    with SmtpServer(tls="implicit") as server:
        assert server.url.startswith("smtps://")
        app = make_app(SMTP_URL=server.url, SMTP_CA_FILE=server.ca_file)
        with app.app_context(), connection() as conn:
            conn.send(message())
        assert len(server.messages) == 1


def test_login_over_plain_smtp_is_refused_before_connecting(make_app, smtp_server):
    url = smtp_server.url.replace("smtp://", "smtp://ting:s3cret@")
    app = make_app(SMTP_URL=url)
    with app.app_context(), pytest.raises(MailError, match="needs smtp\\+starttls") as info, connection():
        pass
    assert "s3cret" not in str(info.value)


@pytest.mark.parametrize("url", ["http://relay:25", "smtp://:25", "smtp://relay:notaport"])
def test_bad_smtp_url_is_mail_error(make_app, url):
    app = make_app(SMTP_URL=url)
    with app.app_context(), pytest.raises(MailError, match="SMTP_URL"), connection():
        pass


def test_expand_recipients_keeps_addresses_in_order(app):
    with app.app_context():
        assert expand_recipients(["b@corp.example", " a@corp.example "]) == [
            "b@corp.example",
            "a@corp.example",
        ]


def test_expand_recipients_resolves_a_group_dn_from_the_demo_directory(app):
    with app.app_context():
        assert expand_recipients([MANAGEMENT]) == ["ingrid@demo.ting.example", "mateo@demo.ting.example"]
        # DNs compare case- and spacing-insensitively.
        assert expand_recipients(["CN=Management, OU=Groups, O=ting-demo"]) == [
            "ingrid@demo.ting.example",
            "mateo@demo.ting.example",
        ]


def test_expand_recipients_resolves_nested_groups(app):
    # jurgen is in it-ops, which sits inside it-admins.
    with app.app_context():
        assert expand_recipients(["cn=it-admins,ou=groups,o=ting-demo"]) == ["jurgen@demo.ting.example"]


def test_expand_recipients_deduplicates_case_insensitively(app):
    with app.app_context():
        got = expand_recipients(
            ["Mateo@Demo.Ting.Example", MANAGEMENT, "boss@corp.example", "BOSS@corp.example"]
        )
    assert got == ["Mateo@Demo.Ting.Example", "ingrid@demo.ting.example", "boss@corp.example"]


def test_expand_recipients_unknown_group_is_nobody(app):
    with app.app_context():
        assert expand_recipients(["cn=nobody,ou=groups,o=ting-demo"]) == []


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("ingrid@@demo.ting.example", "not a valid email address"),
        ("ingrid @demo.ting.example", "not a valid email address"),
        ("Ingrid <ingrid@demo.ting.example>", "not a valid email address"),
        ("@demo.ting.example", "not a valid email address"),
        ("management", "neither an email address nor a directory group DN"),
        ("", "neither an email address nor a directory group DN"),
    ],
)
def test_expand_recipients_invalid_entry_is_a_clear_error(app, entry, message):
    with app.app_context(), pytest.raises(ValueError, match=message) as info:
        expand_recipients(["ok@corp.example", entry])
    assert repr(entry) in str(info.value)


def test_expand_recipients_resolver_failure_is_recipients_unavailable(app):
    def down(dn: str) -> list[str]:
        raise RecipientsUnavailable(f"directory down for {dn}")

    app.extensions[GROUP_RESOLVER] = down
    with app.app_context(), pytest.raises(RecipientsUnavailable, match="directory down"):
        expand_recipients(["a@corp.example", MANAGEMENT])


def test_expand_recipients_without_a_resolver_is_recipients_unavailable(app):
    del app.extensions[GROUP_RESOLVER]
    with app.app_context():
        assert expand_recipients(["a@corp.example"]) == ["a@corp.example"]
        with pytest.raises(RecipientsUnavailable):
            expand_recipients([MANAGEMENT])


def test_expand_recipients_skips_unusable_directory_addresses(app, caplog):
    app.extensions[GROUP_RESOLVER] = lambda dn: ["ok@corp.example", "not an address", ""]
    with app.app_context(), caplog.at_level(logging.WARNING, logger="intranet.mail"):
        assert expand_recipients([MANAGEMENT]) == ["ok@corp.example"]
    assert "Skipped 2" in caplog.text

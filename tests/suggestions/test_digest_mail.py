"""`flask digest send` against a real SMTP server on loopback: the mail arrives, parses, agrees with
the page, leaks nothing, and is sent once: a failed relay leaves the month unsent for the next run."""

from __future__ import annotations

import re
import time

import pytest
from flask import Flask

from intranet.extensions import db
from suggestions.digest import months, services
from suggestions.digest.models import DigestDelivery, DigestStatus
from tests.groups.conftest import login_as
from tests.suggestions.digest_data import CLOSED_MARKER, Month

TO = ["a@example.com", "b@example.com", "c@example.com"]


def send(app: Flask, *args: str):  # noqa: ANN201 - a click Result
    """The command as cron runs it, in this app (the fixtures hold another app's context open)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=["digest", "send", *args])


def approve(m: Month) -> None:
    services.edit(m.company.management, m.month, "Thank you all.", {m.small.id}, expected_version=0)
    services.approve(m.company.management, m.month, expected_version=1)
    db.session.commit()


def parts(message):  # noqa: ANN001, ANN201
    """The plain text, the HTML, and the images of the HTML's multipart/related by Content-ID."""
    text = message.get_body(("plain",)).get_content()
    related = message.get_body(("related",))
    assert related is not None and related.get_content_type() == "multipart/related"
    images = {
        p["Content-ID"].strip("<>"): p for p in related.iter_parts() if p.get_content_maintype() == "image"
    }
    return text, message.get_body(("html",)).get_content(), images


def test_the_mail_arrives_with_text_html_and_inline_charts(make_app, november: Month, smtp_server) -> None:
    app = make_app(SMTP_URL=smtp_server.url, DIGEST_TO=TO, BASE_URL="https://ting.example.com")
    approve(november)
    result = send(app)
    assert result.exit_code == 0, result.output
    assert "to 3 recipient(s)" in result.output
    assert sorted(r.rcpt_tos[0] for r in smtp_server.messages) == TO
    message = smtp_server.messages[0].message
    assert message["Subject"] == "Ting digest: improvements adopted in November 2026"
    assert message.get_content_type() == "multipart/alternative"
    text, html, images = parts(message)
    cids = set(re.findall(r'src="cid:([^"]+)"', html))
    assert len(cids) == 2 and cids == set(images)  # every chart is in the message
    assert all(
        p.get_content_type() == "image/png" and p.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
        for p in images.values()
    )
    for body in (text, html):
        for title in ("A second coffee machine", "Brighter lights for the night shift", "Contract templates"):
            assert title in body
        assert "Recycling bins" not in body and "Quieter printers" not in body
        assert "Thank you all." in body and "Member Tester" in body and "Anonymous" in body
        assert "Other departments" in body and "Legal" not in body
        assert "75%" in body  # the adoption rate
        assert "https://ting.example.com/digest/2026-11" in body or "https://ting.example.com/digest/" in body
    assert html.index("Contract templates") < html.index("A second coffee machine")  # highlighted first


def test_page_mail_and_feed_agree_and_leak_nothing(make_app, november: Month, smtp_server) -> None:
    app = make_app(SMTP_URL=smtp_server.url, DIGEST_TO=TO[:1], DIGEST_PUBLIC=True)
    approve(november)
    assert send(app).exit_code == 0
    raw = smtp_server.messages[0].raw.decode()
    text, html, _images = parts(smtp_server.messages[0].message)
    client = login_as(app.test_client(), november.company.member)
    page = client.get(f"/digest/{months.key(november.month)}").get_data(as_text=True)
    feed = client.get("/digest/feed.atom").get_data(as_text=True)
    ids = [str(s.id) for s in (november.named, november.anonymous, november.small)]
    for where in (text, html, page, feed):
        assert all(f"/suggestions/{i}" in where for i in ids)
        assert f"/suggestions/{november.earlier.id}" not in where
    figures = re.findall(
        r"<tr style=\"border-top[^>]*><td>([^<]+)</td><td align=\"right\">([^<]+)</td>", html
    )
    for label, value in figures:
        assert re.search(rf"{re.escape(label)}</th><td>{re.escape(value)}</td>", page), label
    # Nothing from the closed group, nothing that names the anonymous author, nothing about who wrote what.
    for where in (raw, text, html, page, feed):
        assert CLOSED_MARKER not in where
        assert "Whistleblower" not in where and "whistle" not in where.lower()
    author_of_anonymous = db.session.get(type(november.anonymous), november.anonymous.id).author_id
    assert author_of_anonymous is None


def test_a_month_is_sent_once_unless_resent(make_app, november: Month, smtp_server) -> None:
    app = make_app(SMTP_URL=smtp_server.url, DIGEST_TO=TO[:2])
    approve(november)
    assert send(app).exit_code == 0
    again = send(app)
    assert again.exit_code == 0 and "already mailed" in again.output
    assert len(smtp_server.messages) == 2
    resent = send(app, "--resend")
    assert resent.exit_code == 0 and "to 2 recipient(s)" in resent.output
    assert len(smtp_server.messages) == 4
    db.session.expire_all()
    digest = services.find(november.month)
    assert (digest.status, digest.send_round) == (DigestStatus.SENT, 2)


def test_a_draft_is_not_sent(make_app, november: Month, smtp_server) -> None:
    app = make_app(SMTP_URL=smtp_server.url, DIGEST_TO=TO)
    result = send(app)
    assert result.exit_code == 0 and "not approved yet" in result.output
    assert smtp_server.messages == []


def test_smtp_down_leaves_the_month_unsent_and_the_retry_sends_it_once(
    make_app, november: Month, smtp_server, smtp_down_url
) -> None:
    approve(november)
    down = make_app(SMTP_URL=smtp_down_url, DIGEST_TO=TO)
    result = send(down)
    assert result.exit_code == 1
    assert "Could not mail November 2026" in result.output and "not marked sent" in result.output
    db.session.expire_all()
    digest = services.find(november.month)
    assert (digest.status, digest.sent_at, digest.lease_until) == (DigestStatus.APPROVED, None, None)
    assert db.session.query(DigestDelivery).count() == 0

    up = make_app(SMTP_URL=smtp_server.url, DIGEST_TO=TO)
    assert send(up).exit_code == 0
    assert sorted(r.rcpt_tos[0] for r in smtp_server.messages) == TO
    assert send(up).exit_code == 0
    assert len(smtp_server.messages) == 3  # once each


def test_a_relay_failing_midway_resumes_with_the_missing_recipients(
    make_app, november: Month, smtp_server
) -> None:
    approve(november)
    app = make_app(SMTP_URL=smtp_server.url, DIGEST_TO=TO)
    smtp_server.refuse = {"b@example.com"}
    result = send(app)
    assert result.exit_code == 1 and "1 delivered in this run, 2 still to go" in result.output
    assert [r.rcpt_tos[0] for r in smtp_server.messages] == ["a@example.com"]
    smtp_server.refuse = set()
    assert send(app).exit_code == 0
    assert sorted(r.rcpt_tos[0] for r in smtp_server.messages) == TO  # a@ got it once
    db.session.expire_all()
    assert services.find(november.month).status == DigestStatus.SENT


def test_a_month_another_host_is_sending_is_left_alone(make_app, november: Month, smtp_server) -> None:
    from datetime import timedelta

    from intranet.clock import utcnow

    approve(november)
    digest = services.find(november.month)
    digest.lease_until = utcnow() + timedelta(minutes=10)
    db.session.commit()
    app = make_app(SMTP_URL=smtp_server.url, DIGEST_TO=TO)
    result = send(app)
    assert result.exit_code == 0 and "right now" in result.output
    assert smtp_server.messages == []
    digest.lease_until = utcnow() - timedelta(minutes=1)  # that run crashed: its lease ran out
    db.session.commit()
    assert send(app).exit_code == 0 and len(smtp_server.messages) == 3


def test_recipients_from_a_directory_group(make_app, november: Month, smtp_server) -> None:
    app = make_app(
        SMTP_URL=smtp_server.url, DIGEST_TO="boss@example.com; cn=management,ou=groups,o=ting-demo"
    )
    approve(november)
    assert send(app).exit_code == 0
    assert sorted(r.rcpt_tos[0] for r in smtp_server.messages) == [
        "boss@example.com",
        "ingrid@demo.ting.example",
        "mateo@demo.ting.example",
    ]


def test_no_recipients_and_a_bad_month_are_clear_errors(make_app, november: Month) -> None:
    app = make_app(DIGEST_TO=[])
    approve(november)
    result = send(app)
    assert result.exit_code == 1 and "INTRANET_DIGEST_TO" in result.output
    bad = send(app, "--month", "2026-13")
    assert bad.exit_code == 2 and "YYYY-MM" in bad.output


def test_each_recipient_reads_the_mail_in_the_language_they_picked(
    make_app, november: Month, smtp_server
) -> None:
    c = november.company
    c.management.email, c.management.language = "Boss@Example.com", "nb"
    c.member.email, c.member.language = "member@example.com", "sv"
    c.lead.email, c.lead.language = "lead@example.com", None  # never picked one
    db.session.commit()
    app = make_app(
        SMTP_URL=smtp_server.url, DIGEST_TO=["boss@example.com", "member@example.com", "lead@example.com"]
    )
    approve(november)
    assert send(app).exit_code == 0
    by_address = {m.rcpt_tos[0]: m.message for m in smtp_server.messages}
    with app.test_request_context():
        from flask_babel import force_locale
        from flask_babel import gettext as _

        expected = {}
        for address, code in [
            ("boss@example.com", "nb"),
            ("member@example.com", "sv"),
            ("lead@example.com", "en"),
        ]:
            with force_locale(code):
                expected[address] = (
                    _("Ting digest: improvements adopted in %(month)s", month="").strip(),
                    code,
                )
    for address, (words, code) in expected.items():
        message = by_address[address]
        assert message["Subject"].startswith(words), (address, message["Subject"])
        assert f'lang="{code}"' in message.get_body(("html",)).get_content()
    assert len({m["Subject"] for m in by_address.values()}) == 3


@pytest.mark.parametrize("how", ["stall", "cut"])
def test_a_relay_that_hangs_or_dies_mid_message_leaves_the_month_unsent_in_bounded_time(
    make_app, november: Month, smtp_server, how: str
) -> None:
    """Through a loopback proxy (tests/faults/proxy.py): the relay answers the greeting and the
    envelope, then hangs or closes the connection before the first message is accepted."""
    from tests.faults.proxy import Proxy

    approve(november)
    host, port = smtp_server.url.removeprefix("smtp://").rsplit(":", 1)
    proxy = Proxy(host, int(port))
    try:
        app = make_app(SMTP_URL=f"smtp://127.0.0.1:{proxy.port}", SMTP_TIMEOUT=1, DIGEST_TO=TO)
        proxy.set("pass", after=120, then=how)  # past the greeting, inside EHLO's answer
        started = time.monotonic()
        result = send(app)
        assert time.monotonic() - started < 5  # the timeout, not a hung cron job
        assert result.exit_code == 1 and "not marked sent" in result.output
        assert "Traceback" not in result.output
        db.session.expire_all()
        assert services.find(november.month).status == DigestStatus.APPROVED
        assert db.session.query(DigestDelivery).count() == 0
        assert smtp_server.messages == []

        proxy.set("pass")  # the relay is back: the next run mails everyone, once
        assert send(app).exit_code == 0
        assert sorted(r.rcpt_tos[0] for r in smtp_server.messages) == TO
    finally:
        proxy.close()

"""Mailing a month's digest: once, to every configured recipient, safe to run again and on two hosts.

A send first takes the month's lease (one conditional UPDATE, so a second host's cron
finds it taken), then mails each recipient who does not have this round yet, and
writes down each delivery as it goes. When the relay fails the lease is let go and
nothing is marked sent: the next run mails only the recipients still missing.
"""

from __future__ import annotations

import copy
import enum
from dataclasses import dataclass
from datetime import date, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app, render_template
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update

from intranet import mail
from intranet.clock import utcnow
from intranet.extensions import db
from intranet.models import User

from . import pictures, presenting, services
from .models import Digest, DigestDelivery, DigestStatus


class Outcome(enum.StrEnum):
    SENT = "sent"
    ALREADY_SENT = "already_sent"
    NOT_APPROVED = "not_approved"
    BUSY = "busy"  # another run holds the month
    NO_RECIPIENTS = "no_recipients"
    FAILED = "failed"


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    delivered: int = 0  # in this run
    remaining: int = 0
    error: str = ""


def send(month: date, *, resend: bool = False) -> SendResult:
    digest = services.find(month)
    if digest is None or digest.status == DigestStatus.DRAFT:
        return SendResult(Outcome.NOT_APPROVED)
    if digest.status == DigestStatus.SENT and not resend:
        return SendResult(Outcome.ALREADY_SENT)
    if not _take_lease(digest, resend=resend):
        return SendResult(Outcome.BUSY)
    try:
        return _deliver(digest)
    finally:
        db.session.rollback()
        db.session.execute(update(Digest).where(Digest.id == digest.id).values(lease_until=None))
        db.session.commit()


def _take_lease(digest: Digest, *, resend: bool) -> bool:
    now = utcnow()
    values: dict[str, object] = {
        "lease_until": now + timedelta(minutes=int(current_app.config["DIGEST_SEND_LEASE_MINUTES"]))
    }
    allowed = [DigestStatus.APPROVED]
    if resend and digest.status == DigestStatus.SENT:
        values.update(status=DigestStatus.APPROVED, send_round=Digest.send_round + 1, sent_at=None)
        allowed = [DigestStatus.SENT]
    result = db.session.execute(
        update(Digest)
        .where(
            Digest.id == digest.id,
            Digest.status.in_(allowed),
            or_(Digest.lease_until.is_(None), Digest.lease_until < now),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount != 1:
        return False
    db.session.refresh(digest)
    return True


def _deliver(digest: Digest) -> SendResult:
    try:
        recipients = mail.expand_recipients(list(current_app.config["DIGEST_TO"]))
    except mail.RecipientsUnavailable as exc:
        return SendResult(Outcome.FAILED, error=str(exc) or _("The directory did not answer."))
    if not recipients:
        return SendResult(Outcome.NO_RECIPIENTS)
    done = set(
        db.session.scalars(
            select(DigestDelivery.address).where(
                DigestDelivery.digest_id == digest.id, DigestDelivery.send_round == digest.send_round
            )
        )
    )
    done_keys = {d.casefold() for d in done}
    missing = [a for a in recipients if a.casefold() not in done_keys]
    language = recipient_languages(missing)
    composed: dict[str, EmailMessage] = {}
    for code in sorted(set(language.values())):
        with force_locale(code):
            composed[code] = compose(digest)
    delivered = 0
    try:
        with mail.connection() as conn:
            for address in missing:
                conn.send(addressed(composed[language[address]], address))
                db.session.add(
                    DigestDelivery(digest_id=digest.id, send_round=digest.send_round, address=address)
                )
                db.session.commit()
                delivered += 1
    except mail.MailError as exc:
        db.session.rollback()
        return SendResult(Outcome.FAILED, delivered, len(missing) - delivered, str(exc))
    digest.status = DigestStatus.SENT
    digest.sent_at = utcnow()
    db.session.commit()
    return SendResult(Outcome.SENT, delivered)


def recipient_languages(addresses: list[str]) -> dict[str, str]:
    """Each address's language: the one its person picked in Ting, else the default language."""
    default = current_app.config["DEFAULT_LANGUAGE"]
    offered = set(current_app.config["LANGUAGES"])
    picked: dict[str, str] = {}
    lowered = sorted({a.lower() for a in addresses})
    for start in range(0, len(lowered), 500):
        rows = db.session.execute(
            select(func.lower(User.email), User.language).where(
                func.lower(User.email).in_(lowered[start : start + 500]),
                User.language.is_not(None),
                User.is_deactivated.is_(False),
            )
        )
        picked.update({email: code for email, code in rows if code in offered})
    return {a: picked.get(a.lower(), default) for a in addresses}


def subject(month: date) -> str:
    return _("Ting digest: improvements adopted in %(month)s", month=format_date(month, "LLLL y"))


def compose(digest: Digest) -> EmailMessage:
    """The month's message without a recipient: plain text, HTML, the charts inline."""
    report = services.build_report(digest, fresh=True)  # the mail says exactly what is true now
    cids = {name: make_msgid(name, domain="ting.digest") for name in pictures.NAMES}
    context = presenting.context(digest, report)
    message = EmailMessage()
    message["Subject"] = subject(digest.month)
    message["From"] = mail.sender()
    message.set_content(render_template("digest/mail.txt", **context))
    html = render_template("digest/mail.html", cids={k: v[1:-1] for k, v in cids.items()}, **context)
    message.add_alternative(html, subtype="html")
    html_part = message.get_payload()[1]
    for name, cid in cids.items():
        html_part.add_related(
            pictures.draw(report, name), "image", "png", cid=cid, filename=f"{name}.png", disposition="inline"
        )
    return message


def addressed(template: EmailMessage, address: str) -> EmailMessage:
    message = copy.deepcopy(template)
    message["To"] = address
    message["Message-ID"] = make_msgid(domain="ting.digest")
    return message

"""The digest's figures in words and localised numbers: one table for the page, the mail and the CSV."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

from flask import current_app
from flask_babel import format_date, format_decimal, format_percent, get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from ..permissions import can_read_digest
from . import months, pictures
from .models import Digest, DigestStatus
from .report import Item, Report, department_label


@dataclass(frozen=True)
class FigureRow:
    label: str
    this: str
    last: str
    change: str  # "+3", "−2", "±0", or "" when either month has no value


def month_label(month: date) -> str:
    return format_date(month, "LLLL y")


def status_label(status: DigestStatus) -> str:
    return {
        DigestStatus.DRAFT: _("Draft"),
        DigestStatus.APPROVED: _("Approved"),
        DigestStatus.SENT: _("Sent"),
    }[DigestStatus(status)]


def number(value: Decimal | float | int | None) -> str:
    if value is None:
        return "–"
    return format_decimal(value, format="#,##0.#")


def rate(value: float | None) -> str:
    return "–" if value is None else format_percent(value, format="#,##0%")


def _change(this: float | None, last: float | None, *, points: bool = False) -> str:
    if this is None or last is None:
        return ""
    delta = (this - last) * (100 if points else 1)
    if round(delta, 1) == 0:
        return "±0"
    text = format_decimal(abs(delta), format="#,##0.#")
    sign = "+" if delta > 0 else "−"
    return _("%(sign)s%(value)s points", sign=sign, value=text) if points else f"{sign}{text}"


def figure_rows(report: Report) -> list[FigureRow]:
    f, p = report.figures, report.previous

    def counted(label: str, name: str) -> FigureRow:
        this, last = getattr(f, name), getattr(p, name)
        return FigureRow(label, number(this), number(last), _change(this, last))

    return [
        counted(_("Submitted"), "submitted"),
        counted(_("Decided"), "decided"),
        counted(_("Adopted"), "adopted"),
        counted(_("Declined"), "declined"),
        FigureRow(
            _("Adoption rate (adopted of adopted and declined)"),
            rate(f.adoption_rate),
            rate(p.adoption_rate),
            _change(f.adoption_rate, p.adoption_rate, points=True),
        ),
        counted(_("Median days to first response"), "median_first_response_days"),
        counted(_("Median days to decision"), "median_decision_days"),
        counted(_("Overdue at the end of the month"), "overdue"),
    ]


def benefit(item: Item) -> str:
    """The known benefits in one line (money, hours, notes), or "" when nothing is known."""
    parts = []
    if item.money is not None:
        money = _("saves %(amount)s a year", amount=number(item.money))
        parts.append(f"{money} ({_('estimate')})" if item.money_is_estimate else money)
    if item.hours is not None:
        hours = _("%(hours)s hours a year", hours=number(item.hours))
        parts.append(f"{hours} ({_('estimate')})" if item.hours_is_estimate else hours)
    if item.benefit_notes:
        parts.append(item.benefit_notes)
    return " · ".join(parts)


def credit_line(item: Item) -> str:
    """Who is thanked, the votes, and how long it took."""
    return " · ".join(
        (
            f"{_('Thanks to')} {item.credit or _('Anonymous')}",
            ngettext("%(num)d vote", "%(num)d votes", item.votes),
            ngettext(
                "adopted %(num)d day after it was submitted",
                "adopted %(num)d days after it was submitted",
                item.days,
            ),
        )
    )


def totals(report: Report) -> str:
    parts = []
    if report.money_total:
        parts.append(_("Savings of %(amount)s a year", amount=number(report.money_total)))
    if report.hours_total:
        parts.append(_("%(hours)s hours saved a year", hours=number(report.hours_total)))
    votes = report.votes_total
    parts.append(ngettext("%(num)d vote from colleagues", "%(num)d votes from colleagues", votes))
    return " · ".join(parts)


def context(digest: Digest, report: Report) -> dict[str, object]:
    """What the page and the mail templates are given."""
    return {
        "digest": digest,
        "report": report,
        "figure_rows": figure_rows(report),
        "older": months.shift(report.month, -1),
        "min_group": int(current_app.config["ANON_MIN_GROUP_SIZE"]),
    }


def reads_digest() -> bool:
    """Whether the navigation offers the digest to the current user."""
    public = bool(current_app.config["DIGEST_PUBLIC"])
    return can_read_digest(current_user, approved=True, public=public)


def item_card(item: Item) -> Markup:
    """One improvement's card as the page shows it, rendered once per worker and language.

    A card depends on nothing but the item and the language (no viewer, no form), and a
    month shows a hundred of them at company scale: re-rendering their Markdown, numbers
    and credit lines was most of the digest page's time.
    """
    return _item_card(item, str(get_locale()))


@lru_cache(maxsize=4096)
def _item_card(item: Item, language: str) -> Markup:
    macro = current_app.jinja_env.get_template("digest/_item.html").module.item_card
    return Markup(str(macro(item)))  # noqa: S704 - Jinja's autoescaped output


def template_helpers() -> dict[str, object]:
    return {
        "digest_item_card": item_card,
        "department_label": department_label,
        "digest_month_label": month_label,
        "digest_status_label": status_label,
        "digest_number": number,
        "digest_rate": rate,
        "chart_alt": pictures.alt_text,
        "reads_digest": reads_digest,
        "digest_benefit": benefit,
        "digest_credit_line": credit_line,
        "digest_totals": totals,
    }

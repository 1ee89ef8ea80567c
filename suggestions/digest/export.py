"""A month's digest as CSV: one row per adopted improvement, then the figures."""

from __future__ import annotations

import csv
import io

from flask_babel import gettext as _

from . import months
from .presenting import figure_rows
from .report import Report, department_label

#: A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_text(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    row = lambda *cells: writer.writerow([_cell(c) for c in cells])  # noqa: E731
    row(
        _("Month"),
        _("Suggestion"),
        _("Title"),
        _("Department"),
        _("What was done"),
        _("Benefit"),
        _("Saving per year"),
        _("Hours saved per year"),
        _("Credited to"),
        _("Votes"),
        _("Days to adoption"),
        _("Adopted on"),
        _("Highlighted"),
    )
    key = months.key(report.month)
    for item in report.items:
        row(
            key,
            item.suggestion_id,
            item.title,
            department_label(item.department),
            item.what_was_done,
            item.benefit_notes,
            item.money if item.money is not None else "",
            item.hours if item.hours is not None else "",
            item.credit or _("Anonymous"),
            item.votes,
            item.days,
            item.adopted_on.isoformat(),
            _("yes") if item.highlighted else "",
        )
    writer.writerow([])
    row(_("Figure"), key, months.key(months.shift(report.month, -1)), _("Change"))
    for figure in figure_rows(report):
        row(figure.label, figure.this, figure.last, figure.change)
    writer.writerow([])
    row(_("Department"), _("Submitted"), _("Decided"), _("Adopted"))
    for d in report.departments:
        row(department_label(d.department), d.submitted, d.decided, d.adopted)
    return out.getvalue()

"""The digest's two charts, drawn from a report: by department, and the last twelve months."""

from __future__ import annotations

from flask_babel import format_date
from flask_babel import gettext as _

from . import charts
from .report import Report, department_label

NAMES = ("departments", "trend")


def alt_text(name: str) -> str:
    if name == "departments":
        return _("Bar chart: suggestions submitted, decided and adopted this month, by department.")
    return _("Bar chart: suggestions submitted and adopted in each of the last twelve months.")


def draw(report: Report, name: str) -> bytes:
    blue, orange, teal = charts.PALETTE[:3]
    if name == "departments":
        rows = report.departments
        return charts.grouped_bars(
            _("By department"),
            [department_label(r.department) for r in rows],
            [
                charts.Series(_("Submitted"), [r.submitted for r in rows], blue),
                charts.Series(_("Decided"), [r.decided for r in rows], orange),
                charts.Series(_("Adopted"), [r.adopted for r in rows], teal),
            ],
            horizontal=True,
            empty_text=_("Nothing was submitted or decided this month."),
        )
    if name == "trend":
        points = report.trend
        return charts.grouped_bars(
            _("The last twelve months"),
            [format_date(p.month, "MMM yy") for p in points],
            [
                charts.Series(_("Submitted"), [p.submitted for p in points], blue),
                charts.Series(_("Adopted"), [p.adopted for p in points], teal),
            ],
            horizontal=False,
            empty_text=_("Nothing yet."),
        )
    raise KeyError(name)

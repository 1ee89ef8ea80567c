"""The month's figures, worked out from the suggestion box: what is counted, and what is never shown."""

from __future__ import annotations

from decimal import Decimal

from suggestions.digest import months, report
from tests.suggestions.digest_data import Month


def test_items_are_the_month_s_adoptions_with_credit_and_rolled_up_departments(november: Month) -> None:
    r = report.build(november.month)
    by_id = {i.suggestion_id: i for i in r.items}
    assert set(by_id) == {november.named.id, november.anonymous.id, november.small.id}
    named, anon, small = by_id[november.named.id], by_id[november.anonymous.id], by_id[november.small.id]
    assert (named.credit, named.department, named.votes) == ("Member Tester", "Sales", 7)
    assert (named.money, named.money_is_estimate, named.hours, named.hours_is_estimate) == (
        Decimal("1200"),
        False,
        Decimal("50"),
        True,
    )
    assert named.days == (november.named.adopted_on - november.named.submitted_on).days
    assert anon.credit is None and anon.department == "Engineering"
    assert small.department == report.OTHER  # Legal has two people: below the minimum of five
    assert [i.votes for i in r.items] == [7, 3, 1]  # most voted first


def test_highlights_come_first(november: Month) -> None:
    r = report.build(november.month, highlighted={november.small.id})
    assert [(i.suggestion_id, i.highlighted) for i in r.items][0] == (november.small.id, True)


def test_figures_this_month_and_the_one_before(november: Month) -> None:
    r = report.build(november.month)
    f = r.figures
    # submitted this month: anonymous, small, declined, later (named and waiting came in before)
    assert (f.submitted, f.adopted, f.declined) == (4, 3, 1)
    # decided this month: named (accepted on day 3), anonymous, small, declined, later (accepted)
    assert f.decided == 5
    assert f.adoption_rate == 3 / 4
    # first responses this month: anonymous 2 days, small 1, declined 7, later 1 -> median 1.5
    assert f.median_first_response_days == 1.5
    # decisions: named 3 + (31 - 20) ... computed from the stored dates
    s = november
    expected = sorted(
        (x.decided_at.date() - x.submitted_on).days
        for x in (s.named, s.anonymous, s.small, s.declined, s.later)
    )
    assert f.median_decision_days == expected[2]
    assert f.overdue == 1  # standing desks: no answer for more than 30 days at the month's end
    p = r.previous
    assert (p.adopted, p.declined, p.adoption_rate) == (1, 0, 1.0)
    assert p.overdue == 0  # standing desks came in on the 2nd of that month: not yet 30 days


def test_departments_small_ones_counted_together(november: Month) -> None:
    rows = {
        d.department: (d.submitted, d.decided, d.adopted) for d in report.build(november.month).departments
    }
    assert rows == {
        "Engineering": (1, 1, 1),
        "Sales": (2, 3, 1),
        report.OTHER: (1, 1, 1),
    }
    assert "Legal" not in rows


def test_trend_counts_twelve_months_in_order(november: Month) -> None:
    trend = report.build(november.month).trend
    assert [p.month for p in trend] == [months.shift(november.month, -i) for i in range(11, -1, -1)]
    assert (trend[-1].submitted, trend[-1].adopted) == (4, 3)
    assert (trend[-2].submitted, trend[-2].adopted) == (3, 1)  # named, waiting, earlier; earlier adopted
    assert all((p.submitted, p.adopted) == (0, 0) for p in trend[:-2])

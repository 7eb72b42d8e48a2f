"""Fixes found by QA in circulation: renewal never shortens a loan (B5), public holidays of any
year (B6), repeated returns and the return counter (C4), the F4 header (C5), the F6 inputs and
telephone candidates (P5, C2, C1), the command line's summary and --staff (P7, P2)."""

from __future__ import annotations

import json
from datetime import date

import pytest

import models
from counter_app.cli import main
from counter_app.services import circulation
from tests.helpers_circulation import (  # noqa: F401  (fixtures)
    BOOK_KIT, BOOK_KIT_2, BOOK_YAM, MAGAZINE, item, people, set_today,
)


# --- B5: a renewal never moves the due date earlier ---------------------------------------------


def test_renewal_with_the_clock_before_the_loan_keeps_the_due_date(people, monkeypatch):
    a, _b, actor = people
    assert circulation.checkout(a, [BOOK_KIT], "KIT", actor)[0]["due"] == "2026-12-17"
    set_today(monkeypatch, "2026-11-01")
    preview = circulation.renewal_preview(a)[0]
    assert preview["new_due"] == "2026-12-17"
    out = circulation.renew(a, [BOOK_KIT], "counter", actor)[0]
    assert out["ok"] and out["due"] == "2026-12-17"
    assert models.Loan.get(models.Loan.item == item(BOOK_KIT).id).due == date(2026, 12, 17)


def test_renewed_due_is_never_before_the_current_due():
    from policies.calendar import Calendar
    from policies.loans import LoanRules
    from policies.renewal import renewed_due

    rules = LoanRules({"book": 14})
    cal = Calendar()
    assert renewed_due(rules, cal, "book", date(2026, 12, 3), date(2027, 1, 30)) == date(2027, 1, 30)
    assert renewed_due(rules, cal, "book", date(2026, 12, 3), date(2026, 12, 5)) == date(2026, 12, 17)


# --- B6: public holidays of every year, not only the seeded ones --------------------------------


@pytest.mark.parametrize(
    "lent_on, due",
    [
        ("2028-01-28", "2028-02-12"),  # 2028-02-11 建国記念の日 (Fri) → Sat
        ("2030-04-19", "2030-05-07"),  # 05-03..05-05 祝日, 05-06 振替休日 and KIT's Monday → Tue
        ("2029-09-09", "2029-09-25"),  # 09-23 秋分の日 (Sun), 09-24 振替休日 (Mon) → Tue
    ],
)
def test_due_date_skips_public_holidays_after_the_seeded_years(people, monkeypatch, lent_on, due):
    a, _b, actor = people
    set_today(monkeypatch, lent_on)
    assert circulation.checkout(a, [BOOK_KIT], "KIT", actor)[0]["due"] == due


def test_calendar_knows_holidays_of_a_year_far_ahead(db):
    from counter_app.services.calendar import calendar_for, list_closed

    cal = calendar_for("YAM")
    assert cal.closed_reason(date(2035, 2, 11)) == "建国記念の日"
    assert cal.closed_reason(date(2035, 2, 14)) is None  # a Wednesday
    days = list_closed(2028)["days"]
    assert {"date": "2028-02-11", "point": None, "reason": "建国記念の日"} in days

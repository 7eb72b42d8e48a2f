"""The pure rules: closed-day calendar, due dates, the renewal table."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from policies.calendar import Calendar, CalendarError, due_after, parse_weekdays
from policies.loans import CheckoutFacts, LoanRules, checkout_reasons, due_date
from policies.renewal import RENEWAL_REASONS, RenewalFacts, preview, renewal_reasons

RULES = LoanRules({"book": 14, "magazine": 14, "dvd": 7, "cd": 7}, max_items=10, max_av=3)
HOLIDAYS = {date(2026, 11, 3): "文化の日", date(2026, 11, 23): "勤労感謝の日", date(2027, 1, 1): "元日",
            date(2027, 1, 11): "成人の日"}
KIT = Calendar(parse_weekdays("1"), HOLIDAYS, (12, 29), (1, 3))  # closed Mondays
YAM = Calendar(parse_weekdays("12"), HOLIDAYS, (12, 29), (1, 3))  # closed Mondays and Tuesdays
OPEN_EVERY_DAY = Calendar(frozenset(), {}, None, None)


# --- calendar and due dates ------------------------------------------------------------------


def test_weekly_closed_day_moves_the_due_date():
    # 2026-11-26 (Thu) + 4 days = 11-30, a Monday: KIT opens again on Tuesday.
    assert due_after(KIT, date(2026, 11, 26), 4) == date(2026, 12, 1)
    assert due_after(YAM, date(2026, 11, 26), 4) == date(2026, 12, 2)
    assert due_after(OPEN_EVERY_DAY, date(2026, 11, 26), 4) == date(2026, 11, 30)


def test_due_date_across_a_public_holiday():
    # Lent Tue 2026-10-20 for 14 days → Tue 11-03 文化の日 → Wed 11-04.
    assert due_date(RULES, KIT, "book", date(2026, 10, 20)) == date(2026, 11, 4)
    assert KIT.closed_reason(date(2026, 11, 3)) == "文化の日"


def test_due_date_across_the_year_end_closure():
    # Lent Tue 12-15 → 12-29 is in the closure (to 01-03); 01-04 is a Monday (KIT closed) → 01-05.
    assert due_date(RULES, KIT, "book", date(2026, 12, 15)) == date(2027, 1, 5)
    # YAM is also closed on Tuesdays → Wed 01-06.
    assert due_date(RULES, YAM, "book", date(2026, 12, 15)) == date(2027, 1, 6)
    # A DVD lent on 12-24 (7 days → 12-31) lands in the closure too.
    assert due_date(RULES, KIT, "dvd", date(2026, 12, 24)) == date(2027, 1, 5)
    for day in (date(2026, 12, 29), date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 3)):
        assert KIT.is_closed(day), day
    assert not KIT.is_closed(date(2026, 12, 27))  # a Sunday, before the closure


def test_year_end_closure_that_does_not_wrap():
    cal = Calendar(frozenset(), {}, (12, 26), (12, 31))
    assert cal.is_closed(date(2026, 12, 26)) and cal.is_closed(date(2026, 12, 31))
    assert not cal.is_closed(date(2027, 1, 1))


def test_an_open_day_is_kept():
    assert due_date(RULES, KIT, "book", date(2026, 12, 3)) == date(2026, 12, 17)  # a Thursday


def test_a_calendar_with_no_open_day_is_an_error_not_a_hang():
    with pytest.raises(CalendarError):
        Calendar(parse_weekdays("1234567")).next_open_day(date(2026, 12, 3))


def test_loan_period_by_material_type():
    assert due_date(RULES, OPEN_EVERY_DAY, "dvd", date(2026, 12, 3)) == date(2026, 12, 10)
    assert due_date(RULES, OPEN_EVERY_DAY, "magazine", date(2026, 12, 3)) == date(2026, 12, 17)


# --- checkout --------------------------------------------------------------------------------


def facts(**kw) -> CheckoutFacts:
    base = dict(item_status="available", material_type="book", loaned_to_patron=False, patron_blocked=False,
                patron_withdrawn=False, patron_loans=0, patron_av_loans=0)
    return CheckoutFacts(**{**base, **kw})


@pytest.mark.parametrize(
    "kw, expected",
    [
        ({}, []),
        ({"item_status": "on-loan"}, ["on-loan"]),
        ({"item_status": "on-loan", "loaned_to_patron": True}, ["already-on-loan-to-you"]),
        ({"item_status": "in-transit"}, ["in-transit"]),
        ({"patron_blocked": True}, ["patron-blocked"]),
        ({"patron_loans": 10}, ["limit-reached"]),
        ({"patron_loans": 9}, []),
        ({"material_type": "dvd", "patron_loans": 3, "patron_av_loans": 3}, ["av-limit-reached"]),
        ({"material_type": "book", "patron_loans": 3, "patron_av_loans": 3}, []),
        ({"material_type": "cd", "patron_loans": 10, "patron_av_loans": 3, "patron_blocked": True},
         ["patron-blocked", "limit-reached", "av-limit-reached"]),
    ],
)
def test_checkout_reasons(kw, expected):
    assert checkout_reasons(facts(**kw), RULES) == expected


# --- renewal: the table ------------------------------------------------------------------------

TODAY = date(2026, 12, 3)


def loan(**kw) -> RenewalFacts:
    base = dict(due=TODAY + timedelta(days=5), renewals=0, owned=True, material_type="book",
                title_waiting=0, other_overdue=0)
    return RenewalFacts(**{**base, **kw})


RENEWAL_CASES = [
    ("renewable", {}, []),
    ("borrowed from another library", {"owned": False}, ["not-owned"]),
    ("magazine", {"material_type": "magazine"}, ["material-type"]),
    ("dvd", {"material_type": "dvd"}, ["material-type"]),
    ("cd", {"material_type": "cd"}, ["material-type"]),
    ("another loan overdue", {"other_overdue": 1}, ["patron-overdue"]),
    ("someone waits for the title", {"title_waiting": 2}, ["title-reserved"]),
    ("renewed once already", {"renewals": 1}, ["already-renewed"]),
    ("on the due date itself", {"due": TODAY}, []),
    ("the day after the due date", {"due": TODAY - timedelta(days=1)}, ["past-due"]),
    ("long past due", {"due": TODAY - timedelta(days=40)}, ["past-due"]),
    (
        "everything at once",
        {"owned": False, "material_type": "dvd", "other_overdue": 3, "title_waiting": 1, "renewals": 1,
         "due": TODAY - timedelta(days=1)},
        ["not-owned", "material-type", "patron-overdue", "title-reserved", "already-renewed", "past-due"],
    ),
    ("two reasons", {"renewals": 1, "title_waiting": 1}, ["title-reserved", "already-renewed"]),
]


@pytest.mark.parametrize("name, kw, expected", RENEWAL_CASES, ids=[c[0] for c in RENEWAL_CASES])
def test_renewal_table(name, kw, expected):
    assert renewal_reasons(loan(**kw), TODAY) == expected


def test_every_reason_has_japanese_text():
    for code, text in RENEWAL_REASONS.items():
        assert text and not text.isascii(), code


def test_preview_renewable_says_until_when_and_the_new_due_date():
    pv = preview(loan(due=date(2026, 12, 10)), RULES, KIT, TODAY)
    assert pv.renewable and pv.renewable_until == date(2026, 12, 10)
    assert pv.new_due == date(2026, 12, 17)
    assert "2026年12月10日まで延長できます" in pv.summary() and "2026年12月17日" in pv.summary()


def test_preview_refused_names_every_reason():
    pv = preview(loan(renewals=1, title_waiting=1), RULES, KIT, TODAY)
    assert not pv.renewable and pv.new_due is None
    assert RENEWAL_REASONS["already-renewed"] in pv.summary()
    assert RENEWAL_REASONS["title-reserved"] in pv.summary()


@pytest.mark.parametrize(
    "renew_on, expected",
    [
        (date(2026, 12, 15), date(2027, 1, 5)),  # into the year-end closure, then a Monday
        (date(2026, 10, 20), date(2026, 11, 4)),  # onto 文化の日
        (date(2026, 12, 28), date(2027, 1, 12)),  # 01-11 成人の日 (a Monday too) → Tue 01-12
    ],
)
def test_renewal_due_date_moves_past_closed_days(renew_on, expected):
    pv = preview(loan(due=renew_on), RULES, KIT, renew_on)
    assert pv.new_due == expected

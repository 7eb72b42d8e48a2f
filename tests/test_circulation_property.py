"""Property: whatever the order of checkouts, returns, renewals and passing days, an item never
has two open loans, a loan is never renewed twice, and the item's status follows its loan."""

from __future__ import annotations

import os
from datetime import date, timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import models
from counter_app.services import circulation
from tests.helpers_circulation import BOOK_KIT, BOOK_KIT_2, BOOK_YAM, DVDS, MAGAZINE, people  # noqa: F401

ITEMS = [BOOK_KIT, BOOK_KIT_2, BOOK_YAM, DVDS[0], MAGAZINE]
POINTS = ["KIT", "YAM", "OTA"]
START = date(2026, 12, 3)

op = st.one_of(
    st.tuples(st.just("checkout"), st.integers(0, 1), st.sampled_from(ITEMS), st.sampled_from(POINTS)),
    st.tuples(st.just("checkin"), st.just(0), st.sampled_from(ITEMS), st.sampled_from(POINTS)),
    st.tuples(st.just("renew"), st.integers(0, 1), st.sampled_from(ITEMS), st.sampled_from(["counter", "phone"])),
    st.tuples(st.just("wait"), st.integers(1, 20), st.just(""), st.just("")),
)


def _reset() -> None:
    with models.write_tx():
        models.Loan.delete().execute()
        models.CirculationCount.delete().execute()
        models.AuditEvent.delete().execute()
        models.Item.update(status="available", location=models.Item.home, transit_to=None).execute()
    os.environ["LIBRARY_TODAY"] = START.isoformat()


def before_item(barcode: str) -> int:
    return models.Item.get(models.Item.barcode == barcode).id


def _check_invariants() -> None:
    loans = list(models.Loan.select())
    per_item: dict[int, int] = {}
    for loan in loans:
        per_item[loan.item_id] = per_item.get(loan.item_id, 0) + 1
        assert loan.renewals <= 1
        assert loan.due > loan.loaned_on
    assert all(n == 1 for n in per_item.values())
    for it in models.Item.select().where(models.Item.barcode.in_(ITEMS)):
        assert (it.status == "on-loan") == (it.id in per_item), (it.barcode, it.status)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(op, min_size=1, max_size=25))
def test_random_circulation_keeps_the_invariants(people, ops):
    cards = list(people[:2])
    actor = people[2]
    _reset()
    today = START
    for kind, n, barcode, arg in ops:
        if kind == "wait":
            today += timedelta(days=n)
            os.environ["LIBRARY_TODAY"] = today.isoformat()
        elif kind == "checkout":
            before = models.Loan.get_or_none(models.Loan.item == models.Item.get(models.Item.barcode == barcode).id)
            result = circulation.checkout(cards[n], [barcode], arg, actor)[0]
            if before is not None:  # a lent item is never lent again
                assert not result["ok"]
            if result["ok"]:
                assert models.Loan.get(models.Loan.item == before_item(barcode)).patron.card == cards[n]
        elif kind == "checkin":
            circulation.checkin([barcode], arg, actor)
        else:
            loan = models.Loan.get_or_none(models.Loan.item == models.Item.get(models.Item.barcode == barcode).id)
            result = circulation.renew(cards[n], [barcode], arg, actor)[0]
            event(f"renew {'ok' if result['ok'] else ','.join(result['reasons'])}")
            if result["ok"]:
                assert loan is not None and loan.renewals == 0 and loan.patron.card == cards[n]
        _check_invariants()

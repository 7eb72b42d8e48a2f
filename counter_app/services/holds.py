"""Reservations (予約) as seen from circulation.

These are the hooks that checkout and check-in call; the reservations issue fills in the
whole hold life (reserve, queue, transit, hold shelf, notices, expiry) behind them.
"""

from __future__ import annotations

from datetime import date

import models

OPEN = ("waiting", "in-transit", "ready")


def waiting_count(bib_id: int) -> int:
    """How many open reservations wait for a title (renewal refuses when > 0)."""
    return models.Hold.select().where((models.Hold.bib == bib_id) & (models.Hold.status.in_(OPEN))).count()


def checkout_reasons(item: models.Item, patron: models.Patron, today: date) -> list[str]:
    """Reasons from reservations why ``item`` cannot be lent to ``patron`` now."""
    hold = models.Hold.get_or_none((models.Hold.item == item.id) & (models.Hold.status.in_(OPEN)))
    if hold is None:
        return []
    if hold.patron_id != patron.id:
        return ["held-for-another"]
    if hold.status != "ready":
        return ["hold-not-ready"]
    if hold.notified_at is None and hold.called_at is None:
        return ["hold-not-notified"]
    return []


def on_checkout(item: models.Item, patron: models.Patron) -> None:
    """The holder picked up the copy: the reservation is fulfilled (call inside the checkout
    transaction). The closed hold keeps no link to the patron."""
    from counter_app import clock

    models.Hold.update(status="fulfilled", closed_at=clock.now(), patron=None).where(
        (models.Hold.item == item.id) & (models.Hold.patron == patron.id) & (models.Hold.status.in_(OPEN))
    ).execute()


def on_return(item: models.Item, at_point_id: int, today: date) -> str | None:
    """Called by check-in inside its transaction, after the loan is closed. Returns a route
    (``hold-shelf`` or ``transit:CODE``) when a reservation takes the copy, else None and
    check-in routes it home or to the shelf."""
    return None

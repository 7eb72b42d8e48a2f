"""A stateful property test: checkouts, returns, reservations, pulls, notices, cancellations and
days passing, in any order, keep the reservation invariants."""

from __future__ import annotations

import os
from collections import Counter
from datetime import date, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import event as _hyp_event
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

import models
from counter_app.services import (
    Actor,
    Refused,
    ServiceError,
    circulation,
    holds,
    patrons,
)
from counter_app.services.patrons import hold_position

POINTS = ["KIT", "YAM", "OTA"]
SEEN: Counter = Counter()  # what the runs reached (checked at the end: the test is not vacuous)


def event(name: str) -> None:
    SEEN[name] += 1
    _hyp_event(name)
START = date(2026, 12, 3)
OPEN = ("waiting", "in-transit", "ready")


def build_world(actor_staff_id: int) -> tuple[list[str], list[str]]:
    """Two titles with copies at different points, three patrons."""
    pid = {p.code: p.id for p in models.ServicePoint.select()}
    barcodes = []
    with models.write_tx():
        for n, homes in enumerate((["KIT", "YAM"], ["KIT", "KIT", "OTA"])):
            bib = models.Bib.create(source_id=f"T{n}", title=f"試験の本 {n}", material_type="book")
            for k, home in enumerate(homes):
                code = f"9{n}{k:03d}"
                models.Item.create(barcode=code, bib=bib.id, home=pid[home], location=pid[home])
                barcodes.append(code)
    cards = []
    for i, email in enumerate(("", "a@example.jp", "")):
        p = patrons.add_patron(f"試験 {i}", "シケン", date(1980, 1, 1), "0978-00-0000", email, card=f"200000{i}")
        cards.append(p.card)
    return barcodes, cards


class HoldLife(RuleBasedStateMachine):
    world: tuple[list[str], list[str]] = ([], [])
    staff_id: int | None = None

    def __init__(self) -> None:
        super().__init__()
        with models.write_tx():
            for model in (models.Notice, models.AuditEvent, models.Loan, models.Hold, models.CirculationCount):
                model.delete().execute()
            models.Item.update(status="available", location=models.Item.home, transit_to=None).execute()
        self.day = START
        os.environ["LIBRARY_TODAY"] = self.day.isoformat()
        self.actor = Actor(self.staff_id, "counter")
        self.barcodes, self.cards = self.world

    @initialize(pickups=st.lists(st.sampled_from(POINTS), min_size=3, max_size=3))
    def some_patrons_wait(self, pickups):
        """Start with a queue: each patron has reserved one of the titles."""
        for card, pickup in enumerate(pickups):
            self.reserve(card, card % 2, pickup)

    # --- rules --------------------------------------------------------------------------------

    @rule(card=st.integers(0, 2), copy=st.integers(0, 4), at=st.sampled_from(POINTS))
    def checkout(self, card, copy, at):
        barcode = self.barcodes[copy]
        patron = models.Patron.get(models.Patron.card == self.cards[card])
        item = models.Item.get(models.Item.barcode == barcode)
        held = models.Hold.get_or_none((models.Hold.item == item.id) & (models.Hold.status.in_(OPEN)))
        result = circulation.checkout(self.cards[card], [barcode], at, self.actor)[0]
        if result["ok"] and held is not None:
            # Nothing set aside is lent but to the holder of a ready, notified reservation.
            assert held.patron_id == patron.id and held.status == "ready"
            assert held.notified_at is not None or held.called_at is not None
            assert models.Hold.get_by_id(held.id).status == "fulfilled"
            event("a reserved copy was lent to its holder")

    @rule(copy=st.integers(0, 4), at=st.sampled_from(POINTS))
    def checkin(self, copy, at):
        result = circulation.checkin([self.barcodes[copy]], at, self.actor)[0]
        assert result["ok"]
        event(f"check-in route {result['route'].split(':')[0]}")

    @precondition(lambda self: models.Item.select().where(models.Item.status == "in-transit").exists())
    @rule(pick=st.integers(0, 50))
    def arrive(self, pick):
        """A travelling copy reaches its destination and is checked in there."""
        moving = list(models.Item.select().where(models.Item.status == "in-transit").order_by(models.Item.id))
        item = moving[pick % len(moving)]
        self.checkin(self.barcodes.index(item.barcode), item.transit_to.code)

    @precondition(lambda self: models.Hold.select().where(
        (models.Hold.status == "ready") & (models.Hold.deadline.is_null(False))).exists())
    @rule(pick=st.integers(0, 50))
    def collect(self, pick):
        """The holder of a ready, notified reservation comes to pick it up."""
        ready = list(models.Hold.select().where(
            (models.Hold.status == "ready") & (models.Hold.deadline.is_null(False))).order_by(models.Hold.id))
        h = ready[pick % len(ready)]
        event("collect")
        card = self.cards.index(models.Patron.get_by_id(h.patron_id).card)
        self.checkout(card, self.barcodes.index(h.item.barcode), h.pickup.code)
        assert models.Hold.get_by_id(h.id).status == "fulfilled"

    @rule(card=st.integers(0, 2), title=st.integers(0, 1), pickup=st.sampled_from(POINTS))
    def reserve(self, card, title, pickup):
        bib = models.Bib.get(models.Bib.source_id == f"T{title}")
        try:
            result = holds.reserve(self.cards[card], bib.id, pickup, "phone", False, self.actor)
        except Refused as exc:
            assert set(exc.reasons) <= {"already-reserved", "already-on-loan", "hold-limit"}
            return
        waiting = models.Hold.select().where((models.Hold.bib == bib.id) & (models.Hold.status == "waiting")).count()
        assert result["position"] == waiting

    @precondition(lambda self: models.Hold.select().where(models.Hold.status.in_(OPEN)).exists())
    @rule(pick=st.integers(0, 50))
    def cancel(self, pick):
        open_holds = list(models.Hold.select().where(models.Hold.status.in_(OPEN)).order_by(models.Hold.id))
        target = open_holds[pick % len(open_holds)]
        holds.cancel_hold(target.id, self.actor)
        assert models.Hold.get_by_id(target.id).patron_id is None

    @rule(copy=st.integers(0, 4))
    def pull(self, copy):
        item = models.Item.get(models.Item.barcode == self.barcodes[copy])
        try:
            holds.pull(item.barcode, item.location.code, self.actor)
        except ServiceError as exc:
            assert set(exc.reasons) <= {"not-available", "no-waiting-hold"}

    @precondition(lambda self: models.Hold.select().where(models.Hold.status == "ready").exists())
    @rule(pick=st.integers(0, 50), by_mail=st.booleans())
    def notify(self, pick, by_mail):
        ready = list(models.Hold.select().where(models.Hold.status == "ready").order_by(models.Hold.id))
        target = ready[pick % len(ready)]
        before = target.deadline
        event("notify")
        if by_mail:
            deadline = holds.notice_sent(target.id)
        else:
            deadline = date.fromisoformat(holds.mark_called(target.id, self.actor)["deadline"])
        if before is None:
            assert deadline >= self.day + timedelta(days=7)
        else:
            assert deadline == before  # telling twice does not move the deadline

    @rule(days=st.integers(1, 9))
    def days_pass(self, days):
        self.day += timedelta(days=days)
        os.environ["LIBRARY_TODAY"] = self.day.isoformat()
        first = holds.daily()
        assert all(e["deadline"] < self.day.isoformat() for e in first["expired"])
        if first["count"]:
            event("a reservation expired")
        assert holds.daily()["count"] == 0  # idempotent

    # --- invariants ---------------------------------------------------------------------------

    @invariant()
    def one_loan_and_one_assigned_hold_per_item(self):
        for item in models.Item.select():
            loans = models.Loan.select().where(models.Loan.item == item.id).count()
            assigned = models.Hold.select().where((models.Hold.item == item.id) & (models.Hold.status.in_(OPEN))).count()
            assert loans <= 1 and assigned <= 1
            assert (item.status == "on-loan") == (loans == 1)
            if loans:
                assert assigned == 0  # a lent copy is set aside for no one

    @invariant()
    def queue_positions_are_one_to_n(self):
        for bib in models.Bib.select():
            waiting = models.Hold.select().where((models.Hold.bib == bib.id) & (models.Hold.status == "waiting"))
            assert sorted(hold_position(h) for h in waiting) == list(range(1, waiting.count() + 1))

    @invariant()
    def holds_match_their_copies(self):
        for h in models.Hold.select().where(models.Hold.status.in_(OPEN)):
            assert h.patron_id is not None
            if h.status == "ready":
                item = models.Item.get_by_id(h.item_id)
                assert item.location_id == h.pickup_id and item.status == "on-hold-shelf"
            elif h.status == "in-transit":
                item = models.Item.get_by_id(h.item_id)
                assert item.status == "in-transit" and item.transit_to_id == h.pickup_id
            else:
                assert h.item_id is None
        closed = models.Hold.select().where(models.Hold.status.not_in(OPEN))
        assert all(h.patron_id is None for h in closed)

    @invariant()
    def deadlines_only_once_told(self):
        for h in models.Hold.select().where(models.Hold.status == "ready"):
            assert (h.deadline is not None) == (h.notified_at is not None or h.called_at is not None)


def test_reservation_invariants_hold_under_any_sequence(desk):
    HoldLife.world = build_world(desk.id)
    HoldLife.staff_id = desk.id
    run_state_machine_as_test(
        HoldLife,
        settings=settings(
            max_examples=100, stateful_step_count=40, deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
    reached = dict(SEEN)
    assert reached.get("check-in route hold-shelf") and reached.get("check-in route transit"), reached
    assert reached.get("a reserved copy was lent to its holder"), reached

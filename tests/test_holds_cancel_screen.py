"""Pilot tests: 予約取消 at the counter on F2 利用者 (Ctrl+D on the reservation list)."""

from __future__ import annotations

import asyncio

import models
from counter_app.app import CounterApp
from counter_app.services import circulation, holds
from tests.helpers_holds import SANSHIRO, bib_of, folk, hold, item  # noqa: F401
from tests.pilot import open_reserve, settle, type_text  # noqa: F401


async def open_patron(pilot, card: str) -> None:
    await pilot.press("f2")
    await settle(pilot)
    for ch in card:
        await pilot.press(ch)
    await pilot.press("enter")
    await settle(pilot)


async def open_cancel_dialog(pilot, card: str):
    """F2 → the patron → the reservations list → Ctrl+D; returns the patron screen."""
    await open_patron(pilot, card)
    screen = pilot.app.screen
    screen.query_one("#holds").focus()
    await pilot.pause()
    await pilot.press("ctrl+d")
    await settle(pilot)
    return screen

def test_cancel_a_waiting_hold_on_f2(folk, desk):
    phone, _mail, _third, actor = folk
    hold_id = holds.reserve(phone, bib_of(SANSHIRO), "YAM", via="phone", actor=actor)["hold_id"]

    async def main():
        app = CounterApp(staff=desk, point="KIT")
        async with app.run_test(size=(120, 36)) as pilot:
            await open_patron(pilot, phone)
            screen = app.screen
            table = screen.query_one("#holds")
            assert table.row_count == 1
            # From the card field the key does nothing to the reservation.
            await pilot.press("ctrl+d")
            await settle(pilot)
            assert screen is app.screen and hold(hold_id).status == "waiting"
            table.focus()
            await pilot.pause()
            await pilot.press("ctrl+d")
            await settle(pilot)
            body = str(app.screen.query_one("#cancel-hold-body").render())
            assert "三四郎" in body and "予約待ち" in body and "山香図書室" in body
            await pilot.press("enter")
            await settle(pilot)
            assert app.screen is screen
            assert screen.query_one("#holds").row_count == 0
            assert "予約 0 件" in str(screen.query_one("#patron-info").render())

    asyncio.run(main())
    h = hold(hold_id)
    assert h.status == "cancelled" and h.patron_id is None
    entry = models.AuditEvent.select().where(models.AuditEvent.action == "hold-cancel").get()
    assert entry.staff_id == desk.id


def test_escape_on_the_confirmation_keeps_the_hold(folk, desk):
    phone, _mail, _third, actor = folk
    hold_id = holds.reserve(phone, bib_of(SANSHIRO), "YAM", via="phone", actor=actor)["hold_id"]

    async def main():
        app = CounterApp(staff=desk, point="KIT")
        async with app.run_test(size=(120, 36)) as pilot:
            screen = await open_cancel_dialog(pilot, phone)
            assert app.screen is not screen
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen is screen
            assert screen.query_one("#holds").row_count == 1

    asyncio.run(main())
    assert hold(hold_id).status == "waiting"


def test_cancelling_a_ready_hold_says_where_the_copy_goes(folk, desk):
    """A copy on the hold shelf at 山香 goes home to the main library: the result says so."""
    phone, _mail, _third, actor = folk
    hold_id = holds.reserve(phone, bib_of(SANSHIRO), "YAM", via="phone", actor=actor)["hold_id"]
    assert holds.pull(SANSHIRO, "KIT", actor)["route"] == "transit:YAM"
    assert circulation.checkin([SANSHIRO], "YAM", actor)[0]["route"] == "hold-shelf"
    assert hold(hold_id).status == "ready"

    async def main():
        app = CounterApp(staff=desk, point="YAM")
        async with app.run_test(size=(120, 36)) as pilot:
            screen = await open_cancel_dialog(pilot, phone)
            assert "受け取り可" in str(app.screen.query_one("#cancel-hold-body").render())
            await pilot.press("y")
            await settle(pilot)
            shown = " ".join(str(n.message) for n in app._notifications)
            assert "取り消しました" in shown and SANSHIRO in shown and "杵築市立図書館へ回送" in shown

    asyncio.run(main())
    assert hold(hold_id).status == "cancelled"
    copy = item(SANSHIRO)
    assert copy.status == "in-transit" and copy.transit_to.code == "KIT"


def test_a_hold_closed_meanwhile_shows_the_refusal(folk, desk):
    phone, _mail, _third, actor = folk
    hold_id = holds.reserve(phone, bib_of(SANSHIRO), "YAM", via="phone", actor=actor)["hold_id"]

    async def main():
        app = CounterApp(staff=desk, point="KIT")
        async with app.run_test(size=(120, 36)) as pilot:
            screen = await open_cancel_dialog(pilot, phone)
            holds.cancel_hold(hold_id, actor)  # e.g. cancelled by phone at another desk meanwhile
            await pilot.press("enter")
            await settle(pilot)
            shown = " ".join(str(n.message) for n in app._notifications)
            assert "すでに終了" in shown
            assert screen.query_one("#holds").row_count == 0

    asyncio.run(main())

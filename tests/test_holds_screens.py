"""Pilot tests: a telephone reservation on F7, and the F9 lists through a reservation's life."""

from __future__ import annotations

import asyncio

import models
from counter_app.app import CounterApp
from counter_app.services import circulation, holds
from tests.helpers_holds import SANSHIRO, bib_of, folk, hold, item, set_today  # noqa: F401
from tests.pilot import open_reserve, settle, type_text  # noqa: F401


def test_telephone_reservation_on_f7(folk, desk):
    phone, *_rest = folk

    async def main():
        app = CounterApp(staff=desk, point="KIT")
        async with app.run_test(size=(120, 36)) as pilot:
            screen = await open_reserve(pilot, phone)
            patron_box = str(screen.query_one("#reserve-patron").render())
            assert "山香 太郎" in patron_box and "電話" in patron_box
            # A DVD: the reason is shown and there is no reserve action.
            await type_text(pilot, "トトロ")
            await pilot.press("enter")
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            assert "DVD" in str(screen.query_one("#reserve-title").render())
            assert screen.query_one("#reserve-options").display is False
            await pilot.press("ctrl+r")
            await settle(pilot)
            assert app.screen.__class__.__name__ != "ConfirmReserve"
            assert models.Hold.select().count() == 0
            # The real request: 三四郎 for pickup at 山香図書室.
            await pilot.press("ctrl+f")
            await pilot.press("ctrl+u")
            await type_text(pilot, "三四郎")
            await pilot.press("enter")
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            assert screen.query_one("#reserve-options").display is True
            await pilot.press("down", "enter")  # 杵築 → 山香
            await pilot.press("ctrl+r")
            await settle(pilot)
            assert app.screen.__class__.__name__ == "ConfirmReserve"
            confirm = str(app.screen.query_one("#confirm-lines").render())
            assert "山香図書室" in confirm and "三四郎" in confirm and "電話" in confirm
            await pilot.press("enter")
            await settle(pilot)
            result = str(screen.query_one("#reserve-result").render())
            assert "順位は 1 番目" in result
        h = models.Hold.get()
        assert (h.bib_id, h.pickup.code, h.via, h.contact, h.staff_id) == (bib_of(SANSHIRO), "YAM", "phone", "phone", desk.id)

    asyncio.run(main())


def table_rows(screen, table_id: str) -> list[list[str]]:
    table = screen.query_one(f"#{table_id}")
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def test_f9_lists_follow_a_reservation(folk, desk, monkeypatch):
    phone, mail, third, actor = folk
    h = holds.reserve(phone, bib_of(SANSHIRO), "YAM", "phone", False, actor)["hold_id"]

    async def at_kit():
        app = CounterApp(staff=desk, point="KIT")
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.press("f9")
            await settle(pilot)
            rows = table_rows(app.screen, "pull-table")
            assert len(rows) == 1 and rows[0][1] == SANSHIRO and rows[0][4] == "山香図書室"
            await pilot.press("1", "enter")  # take the copy off the shelf
            await settle(pilot)
            assert table_rows(app.screen, "pull-table") == []

    asyncio.run(at_kit())
    assert hold(h).status == "in-transit" and item(SANSHIRO).transit_to.code == "YAM"

    async def at_yam():
        app = CounterApp(staff=desk, point="YAM")
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.press("f9")
            await settle(pilot)
            assert [r[0] for r in table_rows(app.screen, "transit-table")] == [SANSHIRO]
            circulation.checkin([SANSHIRO], "YAM", actor)  # arrives
            await pilot.press("ctrl+r")
            await settle(pilot)
            assert table_rows(app.screen, "transit-table") == []
            shelf = table_rows(app.screen, "shelf-table")
            assert shelf[0][0] == str(h) and shelf[0][6] == "連絡待ち"
            call = table_rows(app.screen, "call-table")
            assert call[0][1] == "山香 太郎" and call[0][2] == "0977-75-0002"
            await pilot.press("5", "enter")  # telephoned: record it
            await settle(pilot)
            await pilot.press("enter")  # confirm
            await settle(pilot)
            assert table_rows(app.screen, "call-table") == []
            assert table_rows(app.screen, "shelf-table")[0][6] == hold(h).deadline.isoformat()
            # A week and more later, nobody came: the morning run expires it.
            set_today(monkeypatch, "2026-12-11")
            await pilot.press("ctrl+d")
            await settle(pilot)
            await pilot.press("enter")  # confirm: every service point
            await settle(pilot)
            assert table_rows(app.screen, "shelf-table") == []
            expired = table_rows(app.screen, "expired-table")
            assert expired[0][0] == str(h) and expired[0][2] == SANSHIRO and "杵築市立図書館" in expired[0][4]

    asyncio.run(at_yam())
    assert hold(h).status == "expired" and item(SANSHIRO).transit_to.code == "KIT"

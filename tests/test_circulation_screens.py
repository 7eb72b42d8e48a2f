"""The counter screens driven by keys (Pilot): a scanner burst at F4, returns at F5, a telephone
renewal with a refusal read out at F6, the overdue list."""

from __future__ import annotations

import asyncio

import models
from counter_app.app import CounterApp
from counter_app.services import circulation
from counter_app.services.staff import SignedIn
from tests.helpers_circulation import BOOK_KIT, BOOK_KIT_2, BOOK_YAM, DVDS, MAGAZINE, item, people, reserve, set_today  # noqa: F401


def _app(actor, point="KIT") -> CounterApp:
    return CounterApp(staff=SignedIn(actor.staff_id, "desk1", actor.staff_name, "desk"), point=point)


def _keys(text: str) -> list[str]:
    return ["enter" if ch == "\n" else ch for ch in text]


async def _settle(pilot, until, tries: int = 100) -> None:
    """Let workers finish: pause until ``until()`` holds (bounded)."""
    for _ in range(tries):
        await pilot.pause()
        if until():
            return
        await asyncio.sleep(0.02)
    screen = pilot.app.screen
    detail = ""
    if screen.query("DataTable"):
        detail = repr([_cells(t) for t in screen.query("DataTable")])
    raise AssertionError(f"the screen did not finish its work: {detail} {getattr(screen, '_card', '')} {getattr(screen, '_pending_card', '')}")


def _burst(app, text: str) -> None:
    """Queue every key at once, the way a scanner delivers them: no key waits for the one
    before it to be handled (harsher than ``pilot.press``, which lets the app idle per key)."""
    from textual import events

    for ch in text:
        key, char = ("enter", "\r") if ch == "\n" else (ch, ch)
        event = events.Key(key, char)
        event.set_sender(app)
        app._driver.send_message(event)


def _cells(table) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def test_checkout_with_a_scanner_burst(people):
    a, b, actor = people
    barcodes = [BOOK_KIT, BOOK_KIT_2, "1000000005", "1000000006", "1000000007", "1000000999", DVDS[0]]

    async def main():
        app = _app(actor)
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.press("f4")
            await pilot.pause()
            # Card and every item in one burst, without a pause between keys.
            await pilot.press(*_keys(a + "\n" + "\n".join(barcodes) + "\n"))
            screen = app.screen
            table = screen.query_one("#co-lines")
            await _settle(pilot, lambda: table.row_count == len(barcodes) and not screen._busy and not screen._queue
                          and all("処理待ち" not in r[3] for r in _cells(table)))
            rows = _cells(table)
            assert [r[1] for r in rows] == barcodes  # every code arrived whole, in order
            assert all("返却期限" in r[3] for i, r in enumerate(rows) if i != 5)
            assert "登録されていません" in rows[5][3]
            assert rows[0][2] == "こころ"
            assert "杵築 花子" in str(screen.query_one("#co-patron").render())
            assert screen.query_one("#co-scan").value == ""
            # A second patron: all keys queued at once, as a fast scanner sends them.
            await pilot.press("ctrl+n")
            await pilot.pause()
            more = [MAGAZINE, BOOK_YAM, "1000000008", "1000000009"]
            _burst(app, b + "\n" + "\n".join(more) + "\n")
            await _settle(pilot, lambda: table.row_count == len(more) and not screen._busy and not screen._queue
                          and all("処理待ち" not in r[3] for r in _cells(table)))
            rows = _cells(table)
            assert [r[1] for r in rows] == more and all("返却期限" in r[3] for r in rows)
            assert "山香 太郎" in str(screen.query_one("#co-patron").render())
            # A receipt of due dates.
            await pilot.press("ctrl+p")
            await _settle(pilot, lambda: any(True for _ in __import__("pathlib").Path("spool").glob("*receipt*")))

    asyncio.run(main())
    assert models.Loan.select().where(models.Loan.patron == models.Patron.get(card=a).id).count() == 6
    assert models.Loan.select().where(models.Loan.patron == models.Patron.get(card=b).id).count() == 4
    assert all(item(bc).status == "on-loan" for bc in barcodes if bc != "1000000999")


def test_checkout_refusal_shows_the_reason_in_japanese(people):
    a, b, actor = people
    circulation.checkout(b, [BOOK_KIT], "KIT", actor)

    async def main():
        app = _app(actor)
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.press("f4")
            await pilot.pause()
            await pilot.press(*_keys(f"{a}\n{BOOK_KIT}\n"))
            table = app.screen.query_one("#co-lines")
            await _settle(pilot, lambda: table.row_count == 1 and "処理待ち" not in _cells(table)[0][3])
            assert "他の利用者に貸出中" in _cells(table)[0][3]

    asyncio.run(main())

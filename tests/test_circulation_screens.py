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


def test_return_shows_where_each_item_goes(people, tmp_path):
    a, _b, actor = people
    circulation.checkout(a, [BOOK_KIT, BOOK_YAM], "KIT", actor)

    async def main():
        app = _app(actor, point="YAM")  # a terminal at the YAM reading room
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.press("f5")
            await pilot.pause()
            await pilot.press(*_keys(f"{BOOK_KIT}\n{BOOK_YAM}\nXYZ\n"))
            screen = app.screen
            table = screen.query_one("#ci-lines")
            await _settle(pilot, lambda: table.row_count == 3 and not screen._busy
                          and all("処理待ち" not in r[3] for r in _cells(table)))
            rows = _cells(table)
            assert "回送" in rows[0][3] and "杵築市立図書館" in rows[0][3]
            assert "書架" in rows[1][3]
            assert "返却できません" in rows[2][3] and "登録されていません" in rows[2][4]
            assert "返却 2 点" in str(screen.query_one("#ci-status").render())
            # The overdue list is one key away.
            await pilot.press("ctrl+o")
            await _settle(pilot, lambda: "延滞一覧" in str(app.screen.query_one("#od-head").render()))
            await pilot.press("escape")

    asyncio.run(main())
    assert models.Loan.select().count() == 0
    assert item(BOOK_KIT).status == "in-transit" and item(BOOK_YAM).status == "available"
    assert len(list((tmp_path / "spool").glob("*transit*"))) == 1


def test_telephone_renewal_by_kana_and_birth_with_a_refusal_read_out(people, monkeypatch):
    a, b, actor = people
    set_today(monkeypatch, "2026-11-26")
    circulation.checkout(a, [BOOK_KIT, BOOK_KIT_2, MAGAZINE], "KIT", actor)
    reserve(b, BOOK_KIT_2)
    set_today(monkeypatch, "2026-12-03")

    async def main():
        app = _app(actor)
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.press("f6")
            await pilot.pause()
            await pilot.press("ctrl+t")  # telephone
            assert app.screen.via == "phone"
            await pilot.press("ctrl+g")
            await pilot.press(*_keys("キツキ ハナコ\n19850612\n"))
            screen = app.screen
            table = screen.query_one("#rn-loans")
            await _settle(pilot, lambda: table.row_count == 3)
            info = str(screen.query_one("#rn-patron").render())
            assert "杵築 花子" in info and "フリガナ＋生年月日" in info
            rows = {r[1]: r for r in _cells(table)}
            assert "可" in rows[BOOK_KIT][4] and "2026-12-17" in rows[BOOK_KIT][5]
            assert "予約あり" in rows[BOOK_KIT_2][5] and "雑誌" in rows[MAGAZINE][5]
            # Select the renewable book and the reserved one, renew, read back.
            for idx, r in enumerate(_cells(table)):
                if r[1] in (BOOK_KIT, BOOK_KIT_2):
                    table.move_cursor(row=idx)
                    await pilot.press("space")
            await pilot.press("ctrl+r")
            readback = screen.query_one("#rn-readback")
            await _settle(pilot, lambda: "読み上げ" in str(readback.render()))
            text = str(readback.render())
            assert "『こころ』は延長しました" in text and "12月17日（木）" in text
            assert "『吾輩は猫である』は延長できません" in text and "予約が入っている" in text

    asyncio.run(main())
    loan = models.Loan.get(models.Loan.item == item(BOOK_KIT).id)
    assert loan.renewals == 1 and loan.renew_channel == "phone" and loan.staff_id == actor.staff_id
    assert models.Loan.get(models.Loan.item == item(BOOK_KIT_2).id).renewals == 0
    ev = models.AuditEvent.get(models.AuditEvent.action == "renew")
    assert '"identity": "kana+birth"' in ev.detail and ev.channel == "phone"
    assert models.AuditEvent.select().where(models.AuditEvent.action == "identity-check").count() == 1


def test_scan_input_splits_a_pasted_block_and_keeps_a_partial_last_line():
    from textual import events
    from textual.app import App

    from screens.scaninput import ScanInput

    class Probe(App):
        def __init__(self):
            super().__init__()
            self.got = []

        def compose(self):
            yield ScanInput(id="s")

        def on_scan_input_scanned(self, message):
            self.got.append(message.value)

    async def main():
        app = Probe()
        async with app.run_test() as pilot:
            field = app.query_one(ScanInput)
            field.post_message(events.Paste("1000000001\r\n1000000004\n10000"))
            await pilot.pause()
            assert app.got == ["1000000001", "1000000004"] and field.value == "10000"
            await pilot.press("enter")
            await pilot.pause()
            assert app.got[-1] == "10000" and field.value == ""

    asyncio.run(main())


def test_birth_date_as_staff_type_it():
    from datetime import date

    from screens.renew import parse_birth, spoken_date

    assert parse_birth("1985-06-12") == parse_birth("１９８５/6/12") == parse_birth("19850612") == date(1985, 6, 12)
    assert parse_birth("1985年6月12日") == date(1985, 6, 12)
    assert parse_birth("1985-02-30") is None and parse_birth("きのう") is None
    assert spoken_date("2026-12-17") == "12月17日（木）"

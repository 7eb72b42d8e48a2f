"""F3 資料検索 at the desk: results follow the keystrokes; paging; the field switch."""

from __future__ import annotations

import asyncio
import time

from textual.widgets import DataTable, Input, Static

from counter_app.app import CounterApp
from counter_app.services import search as search_service
from screens import search as screen_mod
from tests.helpers_search import import_rows


def _rows(app) -> list[int]:
    table = app.screen.query_one("#results", DataTable)
    return [int(k.value) for k in table.rows]


def _count(app) -> str:
    return str(app.screen.query_one("#count", Static).render())


async def _wait_for(pilot, cond, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        await pilot.pause(0.05)
        if cond():
            return True
    return False


def test_typing_fast_shows_only_the_final_querys_results(sample, desk, monkeypatch):
    real = screen_mod.search

    def slow(query, limit=50, offset=0, fields=None):
        # Shorter (earlier) queries answer later than the final one: stale results would win.
        time.sleep(max(0.0, 0.8 - 0.25 * len(query)))
        return real(query, limit, offset, fields=fields)

    monkeypatch.setattr(screen_mod, "search", slow)
    final = [h.id for h in search_service.search("こころ", screen_mod.PAGE).hits]
    first = [h.id for h in search_service.search("こ", screen_mod.PAGE).hits]
    assert final and set(first) != set(final)

    async def main():
        app = CounterApp(staff=desk, point="KIT")
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.press("f3")
            await pilot.pause()
            box = app.screen.query_one("#query", Input)
            box.value = "こ"
            await pilot.pause(0.35)  # past the debounce: the search for こ is running (slowly)
            box.value = "ここ"
            await pilot.pause(0.05)
            box.value = "こころ"  # typed fast: こ's answer arrives after こころ's
            assert await _wait_for(pilot, lambda: _rows(app) == final)
            await pilot.pause(1.0)  # every slow worker has finished by now
            assert _rows(app) == final
            assert "件" in _count(app) and f"{len(final)} 件" in _count(app)

    asyncio.run(main())


def test_paging_through_a_large_result_and_the_count(db, desk, tmp_path):
    import_rows(tmp_path, [{"title": f"図書館だより 第{n}号", "year": str(1900 + n)} for n in range(1, 121)])

    async def main():
        app = CounterApp(staff=desk, point="KIT")
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.press("f3")
            await pilot.pause()
            app.screen.query_one("#query", Input).value = "図書館"
            assert await _wait_for(pilot, lambda: len(_rows(app)) == 50)
            page1 = _rows(app)
            assert "120 件" in _count(app) and "1〜50 件目" in _count(app) and "1/3 ページ" in _count(app)
            await pilot.press("ctrl+n")
            assert await _wait_for(pilot, lambda: "51〜100 件目" in _count(app))
            page2 = _rows(app)
            await pilot.press("ctrl+n")
            assert await _wait_for(pilot, lambda: "101〜120 件目" in _count(app))
            page3 = _rows(app)
            assert len(page3) == 20
            assert len(set(page1 + page2 + page3)) == 120
            await pilot.press("ctrl+p")
            assert await _wait_for(pilot, lambda: "51〜100 件目" in _count(app))
            assert _rows(app) == page2

    asyncio.run(main())


def test_field_switch_searches_one_field(db, desk, tmp_path):
    import_rows(tmp_path, [
        {"title": "漱石の思い出", "creator": "夏目鏡子"},
        {"title": "こころ", "creator": "夏目漱石"},
    ])

    async def main():
        app = CounterApp(staff=desk, point="KIT")
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.press("f3")
            await pilot.pause()
            app.screen.query_one("#query", Input).value = "漱石"
            assert await _wait_for(pilot, lambda: len(_rows(app)) == 2)
            await pilot.press("ctrl+o")  # 書名
            assert await _wait_for(pilot, lambda: len(_rows(app)) == 1 and "書名" in _count(app))
            await pilot.press("ctrl+o")  # 著者
            assert await _wait_for(pilot, lambda: len(_rows(app)) == 1 and "著者" in _count(app))
            table = app.screen.query_one("#results", DataTable)
            assert table.get_row_at(0)[0] == "こころ"

    asyncio.run(main())


def test_bad_isbn_shows_a_japanese_message(sample, desk):
    async def main():
        app = CounterApp(staff=desk, point="KIT")
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.press("f3")
            await pilot.pause()
            app.screen.query_one("#query", Input).value = "isbn:abc"
            assert await _wait_for(pilot, lambda: "ISBN" in _count(app) and "数字" in _count(app))

    asyncio.run(main())

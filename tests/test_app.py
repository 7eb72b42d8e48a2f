"""The counter terminal driven by keyboard, as desk staff use it (Textual Pilot)."""

import asyncio
from datetime import date

import pytest
from textual.widgets import DataTable, Input, Static

from counter_app.app import CounterApp
from counter_app.services import patrons
from screens.home import HomeScreen
from screens.patron import PatronScreen
from screens.record import RecordScreen
from screens.search import SearchScreen
from screens.signin import SignInScreen


async def settle(pilot, rounds: int = 3):
    """Let workers finish and their messages arrive."""
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.05)


async def type_text(pilot, text: str):
    for ch in text:
        await pilot.press(ch if ch != " " else "space")


def text_of(widget: Static) -> str:
    return str(widget.render())


def test_sign_in_search_and_open_a_record(sample, desk):
    async def scenario():
        app = CounterApp(point="KIT")
        async with app.run_test(size=(120, 36)) as pilot:
            assert isinstance(app.screen, SignInScreen)
            await pilot.press("f3")  # nothing opens before sign-in
            assert isinstance(app.screen, SignInScreen)
            await type_text(pilot, "desk1")
            await pilot.press("enter")
            await type_text(pilot, "wrong-pass")
            await pilot.press("enter")
            await settle(pilot)
            assert "違います" in text_of(app.screen.query_one("#signin-error"))
            assert isinstance(app.screen, SignInScreen)
            await type_text(pilot, "desk-pass-1")
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, HomeScreen)
            assert "窓口 一郎" in app.sub_title

            await pilot.press("f3")
            assert isinstance(app.screen, SearchScreen)
            await type_text(pilot, "ぎんがてつどう")
            await pilot.press("enter")
            await settle(pilot)
            table = app.screen.query_one("#results", DataTable)
            assert table.row_count >= 1
            first_title = table.get_row_at(0)[0]
            assert first_title.startswith("銀河鉄道の夜")
            assert app.focused is table
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, RecordScreen)
            head = text_of(app.screen.query_one("#record-head"))
            assert "銀河鉄道の夜" in head and "宮沢賢治" in head
            assert app.screen.query_one("#record-items", DataTable).row_count >= 1
            await pilot.press("escape")
            assert isinstance(app.screen, SearchScreen)
            await pilot.press("escape")
            assert isinstance(app.screen, HomeScreen)

    asyncio.run(scenario())


def test_patron_lookup_with_full_width_card_and_an_unknown_card(sample, desk):
    patrons.add_patron("杵築 花子", "キツキ ハナコ", date(1985, 6, 12), phone="0978-62-0001",
                       email="hanako@example.jp", card="1000001")

    async def scenario():
        app = CounterApp(staff=desk, point="KIT")
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await pilot.press("f2")
            assert isinstance(app.screen, PatronScreen)
            await type_text(pilot, "１０００ー００１")
            await pilot.press("enter")
            await settle(pilot)
            info = text_of(app.screen.query_one("#patron-info"))
            assert "杵築 花子" in info and "1000001" in info
            assert "ha***@example.jp" in info and "hanako@" not in info
            assert "未登録" in info  # web service not registered yet
            card = app.screen.query_one("#card", Input)
            card.value = ""
            card.focus()
            await type_text(pilot, "7654321")
            await pilot.press("enter")
            await settle(pilot)
            info = text_of(app.screen.query_one("#patron-info"))
            assert "7654321" in info and "登録されていません" in info
            await type_text(pilot, "12")  # still typing in the card field
            card.value = "12"
            await pilot.press("enter")
            await settle(pilot)
            assert "7桁" in text_of(app.screen.query_one("#patron-info"))

    asyncio.run(scenario())


def test_function_keys_keep_each_job_where_staff_left_it(sample, desk):
    async def scenario():
        app = CounterApp(staff=desk, point="KIT")
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await pilot.press("f3")
            await type_text(pilot, "こころ")
            await settle(pilot)
            await pilot.press("f2")
            assert isinstance(app.screen, PatronScreen)
            await pilot.press("f3")
            assert app.screen.query_one("#query", Input).value == "こころ"
            await pilot.press("f1")
            await pilot.pause()
            assert "キー操作" in text_of(app.screen.query_one(Static))
            await pilot.press("escape")
            assert isinstance(app.screen, SearchScreen)

    asyncio.run(scenario())


@pytest.fixture
def signed_in_app(sample, desk):
    return CounterApp(staff=desk, point="KIT")


def test_main_screen_snapshot(signed_in_app, snap_compare):
    async def wait(pilot):
        await settle(pilot)

    assert snap_compare(signed_in_app, terminal_size=(120, 36), run_before=wait)


def test_record_says_when_its_reading_was_generated(db, desk, tmp_path):
    from counter_app.services import catalog

    path = tmp_path / "two.csv"
    path.write_text(",".join(catalog.LIBRARY_CSV_HEADER) + "\n"
                    "G1,銀河鉄道の夜,ギンガテツドウノヨル,宮沢賢治,ミヤザワ ケンジ,新潮社,1989,,,book,9500000001,KIT,yes,\n"
                    "G2,風の又三郎,,宮沢賢治,,新潮社,1989,,,book,9500000002,KIT,yes,\n", encoding="utf-8")
    catalog.import_catalog(path, "library-csv")
    ids = {b.source_id: b.id for b in __import__("models").Bib.select()}

    async def scenario(bib_id):
        app = CounterApp(staff=desk, point="KIT")
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            app.push_screen(RecordScreen(bib_id))
            await settle(pilot)
            return text_of(app.screen.query_one("#record-head"))

    assert "自動付与" not in asyncio.run(scenario(ids["G1"]))  # catalogued reading
    generated = asyncio.run(scenario(ids["G2"]))
    assert "自動付与" in generated and "カゼ" in generated

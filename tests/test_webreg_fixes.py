"""QA fixes on F8: a duplicate-patron warning is confirmed only by Ctrl+S (never by Enter), and
the command line says how to confirm. (No reason codes on the refusal dialog: in
test_webreg_screens.test_under_age_patron_gets_the_refusal_screen.)"""

from __future__ import annotations

import asyncio

import models
from counter_app.app import CounterApp
from tests.helpers_webreg import add, run_cli
from tests.test_webreg_screens import new_patron_form, settle, text_of


def test_enter_never_confirms_a_duplicate_patron(db, desk):
    add()

    async def main():
        app = CounterApp(staff=desk, point="KIT")
        async with app.run_test(size=(120, 36)) as pilot:
            await new_patron_form(app, pilot, ("杵築 花子", "キツキ ハナコ", "1985-06-12", "0978-62-0009", "hana@example.jp"))
            await settle(app, pilot)
            warning = text_of(app, "#np-error")
            assert "同じ氏名・生年月日" in warning and "Ctrl+S" in warning and "Enter では登録しません" in warning
            for _ in range(3):  # Enter (the next-field key) again and again: still no second card
                await pilot.press("enter")
                await settle(app, pilot)
                assert type(app.screen).__name__ == "NewPatronScreen"
            assert models.Patron.select().count() == 1
            await pilot.press("ctrl+s")
            await settle(app, pilot)
            assert type(app.screen).__name__ == "WebRegScreen"
        assert models.Patron.select().count() == 2

    asyncio.run(main())


def test_command_line_duplicate_refusal_names_the_option(db, db_url, capsys):
    add()
    argv = ["patron", "add", "--name", "杵築 花子", "--kana", "キツキ ハナコ", "--birth", "1985-06-12", "--json", "--db", db_url]
    code, doc, _ = run_cli(capsys, *argv)
    assert code == 3 and doc["reasons"] == ["possible-duplicate"] and "--confirm-duplicate" in doc["message"]
    code, doc, _ = run_cli(capsys, *argv, "--confirm-duplicate")
    assert code == 0 and doc["card"] == "1000002"


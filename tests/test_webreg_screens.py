"""Pilot tests of WEB registration at the counter: keyboard only, as the desk uses it."""

from __future__ import annotations

import asyncio
from datetime import date

import models
from counter_app.app import CounterApp
from counter_app.services import staff as staff_service
from textual.widgets import Input, Static
from tests.helpers_webreg import add, db_bytes


def text_of(app, selector: str) -> str:
    widget = app.screen.query_one(selector, Static)
    return str(widget.render())


async def settle(app, pilot, rounds: int = 40) -> None:
    """Let workers finish and their messages arrive (argon2 takes a moment)."""
    for _ in range(rounds):
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            await pilot.pause()
            return
        await asyncio.sleep(0.05)


async def type_text(pilot, text: str) -> None:
    for ch in text:
        await pilot.press("space" if ch == " " else ch)


def test_new_patron_registered_for_the_web_keyboard_only(db, db_url, desk, tmp_path):
    async def main():
        app = CounterApp(staff=desk, point="KIT")
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.press("f8")
            await settle(app, pilot)
            assert type(app.screen).__name__ == "WebRegScreen"
            await pilot.press("ctrl+n")
            await settle(app, pilot)
            assert type(app.screen).__name__ == "NewPatronScreen"
            for value in ("杵築 花子", "きつき はなこ", "1985-06-12", "0978-62-0001", "hanako@example.jp"):
                await type_text(pilot, value)
                await pilot.press("enter")
            await settle(app, pilot)
            # back on F8 with the new card looked up; the ID-type list has the focus
            assert type(app.screen).__name__ == "WebRegScreen"
            assert app.screen.query_one("#webreg-card", Input).value == "1000001"
            assert "登録できます" in text_of(app, "#webreg-info")
            assert app.focused.id == "webreg-idtype"
            await pilot.press("down", "enter")  # 健康保険証（資格確認書）
            await settle(app, pilot)
            assert type(app.screen).__name__ == "ConfirmScreen"
            assert "健康保険証" in text_of(app, "#confirm-body")
            await pilot.press("enter")
            await settle(app, pilot)
            assert type(app.screen).__name__ == "PasswordScreen"
            shown = text_of(app, "#password-big")
            account = models.WebAccount.get()
            letters = "".join(ch for line in shown.splitlines()[1:2] for ch in line if ch.isalnum())
            assert len(letters) == 12
            assert staff_service.verify_password(account.password_hash, letters)
            assert letters.encode() not in db_bytes(db_url)
            assert account.id_type == "insurance" and account.id_checked_by_id == desk.id
            await pilot.press("p")
            await settle(app, pilot)
            assert "保存しました" in text_of(app, "#password-status") or "印刷しました" in text_of(app, "#password-status")
            slips = list((tmp_path / "spool").glob("*web-password*.txt"))
            assert len(slips) == 1
            slip = slips[0].read_text(encoding="utf-8")
            assert " ".join(letters[:4]) in slip and "1000001" in slip and "初回ログイン後に変更してください" in slip
            await pilot.press("p")  # a second print is refused: the slip is printed once
            await settle(app, pilot)
            assert len(list((tmp_path / "spool").glob("*web-password*.txt"))) == 1
            await pilot.press("escape")
            await settle(app, pilot)
            assert type(app.screen).__name__ == "WebRegScreen"
            assert app.screen.query_one("#webreg-card", Input).value == ""
            assert "手続きが終わりました" in text_of(app, "#webreg-info")
            assert letters not in str(app.screen.query_one("#webreg-info", Static).render())
        actions = [(e.action, e.card, e.staff_id) for e in models.AuditEvent.select().order_by(models.AuditEvent.id)]
        assert ("patron-add", "1000001", desk.id) in actions
        assert ("web-register", "1000001", desk.id) in actions
        patron = models.Patron.get()
        assert (patron.name, patron.kana, patron.birth_date) == ("杵築 花子", "キツキ ハナコ", date(1985, 6, 12))

    asyncio.run(main())


def test_under_age_patron_gets_the_refusal_screen(db, desk):
    add(name="大田 さくら", kana="オオタ サクラ", birth=date(2014, 4, 2))  # eligible 2027-04-01

    async def main():
        app = CounterApp(staff=desk, point="KIT")
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.press("f8")
            await settle(app, pilot)
            await type_text(pilot, "1000-001")
            await pilot.press("enter")
            await settle(app, pilot)
            assert type(app.screen).__name__ == "RefusalScreen"
            assert "中学生以上" in text_of(app, "#refusal-message")
            assert "2027年4月1日" in text_of(app, "#refusal-date")
            shown = "\n".join(str(w.render()) for w in app.screen.query(Static))
            assert "under-age" not in shown and "理由コード" not in shown  # codes are for JSON only
            await pilot.press("escape")
            await settle(app, pilot)
            assert type(app.screen).__name__ == "WebRegScreen"
            assert app.screen.query_one("#webreg-idtype").disabled
            assert app.focused.id == "webreg-card"
        assert models.WebAccount.select().count() == 0

    asyncio.run(main())


def test_already_registered_patron_gets_a_reissue_in_f8(db, desk):
    add()

    async def main():
        app = CounterApp(staff=desk, point="KIT")
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.press("f8")
            await settle(app, pilot)
            for _ in range(2):
                await type_text(pilot, "1000001")
                await pilot.press("enter")
                await settle(app, pilot)
                await pilot.press("enter", "enter")  # 運転免許証, confirm
                await settle(app, pilot)
                assert type(app.screen).__name__ == "PasswordScreen"
                await pilot.press("escape")  # not printed: warns first
                await settle(app, pilot)
                assert type(app.screen).__name__ == "PasswordScreen"
                assert "まだ印刷していません" in text_of(app, "#password-status")
                await pilot.press("escape")
                await settle(app, pilot)
                assert type(app.screen).__name__ == "WebRegScreen"
        acc = models.WebAccount.get()
        assert acc.session_epoch == 1
        assert [e.action for e in models.AuditEvent.select() if e.action.startswith("web-")] == ["web-register", "web-reissue"]

    asyncio.run(main())


def test_new_patron_form_refuses_an_id_number_and_a_future_birth(db, db_url, desk):
    async def main():
        app = CounterApp(staff=desk, point="KIT")
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.press("f8")
            await settle(app, pilot)
            await pilot.press("ctrl+n")
            await settle(app, pilot)
            for value in ("杵築 花子", "キツキ ハナコ", "1985-06-12", "1234-5678-9012"):
                await type_text(pilot, value)
                await pilot.press("enter")
            await pilot.press("enter")  # e-mail left empty: save
            await settle(app, pilot)
            assert type(app.screen).__name__ == "NewPatronScreen"
            assert "12桁以上の数字" in text_of(app, "#np-error") and "電話番号" in text_of(app, "#np-error")
            assert app.screen.query_one("#np-phone", Input).value == ""
            assert app.focused.id == "np-phone"
            await pilot.press("tab")  # e-mail
            await type_text(pilot, "x")
            await pilot.press("shift+tab", "shift+tab")
            app.screen.query_one("#np-birth", Input).value = ""
            await type_text(pilot, "2030-01-01")
            await pilot.press("ctrl+s")
            await settle(app, pilot)
            error = text_of(app, "#np-error")
            assert "未来" in error and "メールアドレス" in error
            await pilot.press("escape")
            await settle(app, pilot)
            assert type(app.screen).__name__ == "WebRegScreen"
        assert models.Patron.select().count() == 0
        models.close_database()
        assert b"9012" not in db_bytes(db_url)

    asyncio.run(main())


async def new_patron_form(app, pilot, values) -> None:
    """F8 → Ctrl+N, then each value typed and Enter (the next-field key)."""
    await pilot.press("f8")
    await settle(app, pilot)
    await pilot.press("ctrl+n")
    await settle(app, pilot)
    for value in values:
        await type_text(pilot, value)
        await pilot.press("enter")


def test_duplicate_needs_a_second_ctrl_s(db, desk):
    add()

    async def main():
        app = CounterApp(staff=desk, point="KIT")
        async with app.run_test(size=(120, 36)) as pilot:
            await new_patron_form(app, pilot, ("杵築 花子", "キツキ ハナコ", "1985-06-12", "0978-62-0009"))
            await pilot.press("ctrl+s")
            await settle(app, pilot)
            assert "同じ氏名・生年月日" in text_of(app, "#np-error") and "1000001" in text_of(app, "#np-error")
            assert models.Patron.select().count() == 1
            await pilot.press("ctrl+s")
            await settle(app, pilot)
            assert type(app.screen).__name__ == "WebRegScreen"
            assert app.screen.query_one("#webreg-card", Input).value == "1000002"
        assert models.Patron.select().count() == 2

    asyncio.run(main())


def test_f2_shows_the_web_account_and_unlocks_and_reissues(db, desk):
    add()
    from counter_app.services import web_accounts

    first = web_accounts.register("1000001", "license")
    models.WebAccount.update(locked=True, failed_logins=5).execute()

    async def main():
        app = CounterApp(staff=desk, point="KIT")
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.press("f2")
            await settle(app, pilot)
            await type_text(pilot, "1000001")
            await pilot.press("enter")
            await settle(app, pilot)
            info = text_of(app, "#patron-info")
            assert "ロック中" in info and "ha***@" not in info  # no e-mail registered
            await pilot.press("ctrl+l")
            await settle(app, pilot)
            await pilot.press("enter")
            await settle(app, pilot)
            assert "仮パスワード（有効期限 2027-03-03）" in text_of(app, "#patron-info")
            assert not models.WebAccount.get().locked
            await pilot.press("ctrl+r")
            await settle(app, pilot)
            assert type(app.screen).__name__ == "IdTypeScreen"
            await pilot.press("down", "down", "down", "enter")  # マイナンバーカード
            await settle(app, pilot)
            assert "マイナンバーカード" in text_of(app, "#confirm-body")
            await pilot.press("enter")
            await settle(app, pilot)
            assert type(app.screen).__name__ == "PasswordScreen"
            await pilot.press("escape", "escape")
            await settle(app, pilot)
            assert type(app.screen).__name__ == "PatronScreen"
        acc = models.WebAccount.get()
        assert acc.id_type == "mynumber" and acc.session_epoch == 1
        assert not staff_service.verify_password(acc.password_hash, first.temporary_password)
        actions = [e.action for e in models.AuditEvent.select() if e.action.startswith("web-")]
        assert actions == ["web-register", "web-unlock", "web-reissue"]

    asyncio.run(main())

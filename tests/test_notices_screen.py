"""F10 通知 in the app: a failed notice is shown and staff retry it with the keyboard."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

import models
from counter_app.app import CounterApp
from counter_app.services import mailer, notices, patrons
from tests.helpers_notices import SmtpServer, free_port, use_server, wait_for


@pytest.fixture
def failed_notice(db, monkeypatch):
    """A notice that failed while the server was down (max attempts 1)."""
    monkeypatch.setenv("LIBRARY_MAIL_MAX_ATTEMPTS", "1")
    port = free_port()
    use_server(monkeypatch, port)
    p = patrons.add_patron("杵築 花子", "キツキ ハナコ", date(1985, 6, 12), "0978-62-0001", "hanako@example.jp")
    with models.write_tx():
        n = notices.queue_notice("hold-received", p, p.email, {"title": "坊っちゃん", "pickup": "山香図書室"})
    assert mailer.send_pass()["failed"] == 1
    return n, port


def test_f10_shows_a_failed_notice_and_retries_it(desk, failed_notice):
    notice, port = failed_notice
    server = SmtpServer(port).start()

    async def main():
        app = CounterApp(staff=desk, point="KIT")
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.press("f10")
            screen = app.screen
            table = screen.query_one("#table-failed")
            assert await wait_for(pilot, lambda: table.row_count == 1)
            assert table.get_row_at(0)[0] == str(notice.id)
            assert "hanako@example.jp" in table.get_row_at(0)
            # F10 opens on the failed list (the first with rows) and shows the notice
            assert await wait_for(pilot, lambda: "ご予約を受け付けました" in str(screen.query_one("#notice-detail").render()))
            await pilot.press("r")
            assert await wait_for(pilot, lambda: models.Notice.get_by_id(notice.id).status == "sent")
            assert await wait_for(pilot, lambda: table.row_count == 0)
            assert "送信 1 件" in str(screen.query_one("#notice-status").render())
            await pilot.press("3")
            sent = screen.query_one("#table-sent")
            assert await wait_for(pilot, lambda: sent.row_count == 1)

    try:
        asyncio.run(main())
    finally:
        server.stop()
    assert server.inbox.message_ids() == [notice.message_id]


def test_f10_edit_address_and_call_list(desk, db, monkeypatch):
    server = SmtpServer().start()
    use_server(monkeypatch, server.port)
    server.inbox.reject["hanako@example.jp"] = "550 5.1.1 User unknown"
    p = patrons.add_patron("杵築 花子", "キツキ ハナコ", date(1985, 6, 12), "0978-62-0001", "hanako@example.jp")
    with models.write_tx():
        n = notices.queue_notice("hold-received", p, p.email, {"title": "坊っちゃん", "pickup": "山香図書室"})
    assert mailer.send_pass()["rejected"] == 1

    async def main():
        app = CounterApp(staff=desk, point="KIT")
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.press("f10")
            screen = app.screen
            calls = screen.query_one("#table-calls")
            assert await wait_for(pilot, lambda: calls.row_count == 1)
            # the patron gives a working address on the phone: register it from the call list
            await pilot.press("4", "m", *"hana@example.ne.jp", "enter")
            assert await wait_for(pilot, lambda: models.Patron.get_by_id(p.id).email == "hana@example.ne.jp")
            assert await wait_for(pilot, lambda: calls.row_count == 0)
            # the failed notice still went to the dead address: fix it (this notice only now,
            # since her registered address is no longer that one) and resend it
            await pilot.press("2", "e")
            await pilot.press("ctrl+a", "ctrl+k", *"hana@example.ne.jp", "enter")
            assert await wait_for(pilot, lambda: models.Notice.get_by_id(n.id).status == "sent")

    try:
        asyncio.run(main())
    finally:
        server.stop()
    assert models.Patron.get_by_id(p.id).email_ok
    assert [str(m["To"]) for m in server.inbox.messages] == ["hana@example.ne.jp"] * 2

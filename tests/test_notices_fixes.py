"""QA fixes on notices: ``notices send --json`` says ok=false when it fails; correcting a
failed notice's address corrects the patron's registered address when that was the wrong one;
F10 opens on the list that has something, shows the active tab, and drops stale hints."""

from __future__ import annotations

import json
from datetime import date

import pytest

import models
from counter_app import cli
from counter_app.services import Refused, mailer, notices, patrons
from tests.helpers_notices import SmtpServer, free_port, on_f10, use_server, wait_for


def send_json(capsys, db_url) -> tuple[int, dict]:
    status = cli.main(["notices", "send", "--json", "--db", db_url])
    return status, json.loads(capsys.readouterr().out)


@pytest.fixture
def hanako(db):
    """Hanako, registered with a mistyped address (hanak0 for hanako)."""
    return patrons.add_patron("杵築 花子", "キツキ ハナコ", date(1985, 6, 12), "0978-62-0001", "hanak0@example.jp")


def queue(patron, to=None) -> models.Notice:
    with models.write_tx():
        return notices.queue_notice("hold-received", patron, to or patron.email, {"title": "坊っちゃん", "pickup": "山香図書室"})


@pytest.fixture
def failed(hanako, monkeypatch):
    monkeypatch.setenv("LIBRARY_MAIL_MAX_ATTEMPTS", "1")
    use_server(monkeypatch, free_port())  # nothing listens there
    n = queue(hanako)
    assert mailer.send_pass()["failed"] == 1
    return n


def fresh(row):
    return type(row).get_by_id(row.id)


# --- B3: ok agrees with the exit status ---------------------------------------------------------


def test_send_json_ok_is_false_when_the_server_is_down_and_true_when_it_works(hanako, db_url, monkeypatch, capsys):
    queue(hanako)
    port = free_port()
    use_server(monkeypatch, port)
    status, doc = send_json(capsys, db_url)
    assert status == 1 and doc["ok"] is False and doc["error"]
    server = SmtpServer(port).start()
    try:
        status, doc = cli.main(["notices", "send", "--all", "--json", "--db", db_url]), json.loads(capsys.readouterr().out)
    finally:
        server.stop()
    assert status == 0 and doc["ok"] is True and doc["error"] == "" and doc["sent"] == 1


# --- C7: the registered address is corrected with the notice ------------------------------------


def test_correcting_the_registered_address_through_a_failed_notice(failed, hanako):
    other = queue(hanako)  # waiting, to the same wrong address
    result = notices.retry_notice(failed.id, "hanako@example.jp")
    assert result["patron_email_changed"] is True and result["readdressed"] == 1
    p = fresh(hanako)
    assert (p.email, p.email_ok) == ("hanako@example.jp", True)
    assert fresh(failed).to_addr == "hanako@example.jp" and fresh(failed).status == "pending"
    assert fresh(other).to_addr == "hanako@example.jp"
    changed = models.Notice.select().where(models.Notice.kind == "email-changed")
    assert [n.to_addr for n in changed] == ["hanako@example.jp"]  # nothing to the wrong one
    assert models.AuditEvent.select().where(models.AuditEvent.action == "email-set").count() == 1
    # later notices use the corrected address
    assert queue(fresh(hanako)).to_addr == "hanako@example.jp"


def test_freemail_needs_confirmation_and_nothing_changes_before_it(failed, hanako):
    with pytest.raises(Refused) as e:
        notices.retry_notice(failed.id, "hanako@yahoo.co.jp")
    assert e.value.reasons == ["freemail-needs-confirmation"]
    assert fresh(hanako).email == "hanak0@example.jp"
    assert fresh(failed).to_addr == "hanak0@example.jp" and fresh(failed).status == "failed"
    assert models.Notice.select().count() == 1
    result = notices.retry_notice(failed.id, "hanako@yahoo.co.jp", confirm_freemail=True)
    assert result["patron_email_changed"] and fresh(hanako).email == "hanako@yahoo.co.jp"


def test_a_notice_to_another_address_changes_alone(failed, hanako):
    notices.set_email(hanako.card, "hanako@example.jp")  # registered address fixed meanwhile
    result = notices.retry_notice(failed.id, "hanako@example.ne.jp")
    assert result["patron_email_changed"] is False
    assert fresh(hanako).email == "hanako@example.jp"
    assert fresh(failed).to_addr == "hanako@example.ne.jp"


def test_a_failed_completion_notice_is_replaced_not_resent(hanako, monkeypatch):
    monkeypatch.setenv("LIBRARY_MAIL_MAX_ATTEMPTS", "1")
    use_server(monkeypatch, free_port())
    notices.set_email(hanako.card, "hanak0@example.ne.jp")
    old = models.Notice.get((models.Notice.kind == "email-changed") & (models.Notice.to_addr == "hanak0@example.ne.jp"))
    mailer.send_pass()
    result = notices.retry_notice(old.id, "hanako@example.ne.jp")
    assert models.Notice.get_or_none(models.Notice.id == old.id) is None
    assert models.Notice.get_by_id(result["replaced_by"]).to_addr == "hanako@example.ne.jp"
    to = [n.to_addr for n in models.Notice.select().where(models.Notice.kind == "email-changed")]
    assert to.count("hanako@example.ne.jp") == 1 and "hanak0@example.ne.jp" not in to


def test_command_line_retry_with_yes(failed, hanako, db_url, capsys):
    status = cli.main(["notices", "retry", str(failed.id), "--to", "hanako@hotmail.com", "--json", "--db", db_url])
    doc = json.loads(capsys.readouterr().out)
    assert status == 3 and doc["reasons"] == ["freemail-needs-confirmation"]
    status = cli.main(["notices", "retry", str(failed.id), "--to", "hanako@hotmail.com", "--yes", "--json", "--db", db_url])
    doc = json.loads(capsys.readouterr().out)
    assert status == 0 and doc["ok"] is True and doc["patron_email_changed"] is True
    assert fresh(hanako).email == "hanako@hotmail.com"


# --- F10 --------------------------------------------------------------------------------------


def test_f10_edit_corrects_the_registered_address(desk, failed, hanako):
    async def body(app, pilot, screen):
        table = screen.query_one("#table-failed")
        assert await wait_for(pilot, lambda: table.row_count == 1)
        await pilot.press("2")
        assert await wait_for(pilot, lambda: "登録アドレスも" in str(screen.query_one("#notice-detail").render()))
        await pilot.press("e")
        assert await wait_for(pilot, lambda: app.screen.query("#address"))
        assert "登録アドレスも" in str(app.screen.query_one("#address-title").render())
        await pilot.press("ctrl+a", "ctrl+k", *"hanako@example.jp", "enter")
        assert await wait_for(pilot, lambda: fresh(hanako).email == "hanako@example.jp")
        assert await wait_for(pilot, lambda: "メールアドレスを変更しました。新しいアドレスに" in str(screen.query_one("#notice-status").render()))

    on_f10(desk, body)
    assert fresh(failed).to_addr == "hanako@example.jp"


def test_f10_opens_on_the_waiting_list_and_shows_the_active_tab(desk, hanako):
    for _ in range(3):
        queue(hanako)

    async def body(app, pilot, screen):
        pending = screen.query_one("#table-pending")
        assert await wait_for(pilot, lambda: pending.row_count == 3)
        tabs = screen.query_one("#notice-tabs")
        assert tabs.active == "tab-pending"
        active = screen.query_one("Tab.-active")
        idle = [t for t in screen.query("Tab") if not t.has_class("-active")]
        assert "送信待ち" in str(active.label)
        assert all(t.styles.background != active.styles.background for t in idle)
        # a hint about choosing a row goes away once a row is chosen
        await pilot.press("r")
        status = screen.query_one("#notice-status")
        assert "選んでください" in str(status.render())
        await pilot.press("2")
        assert await wait_for(pilot, lambda: "選んでください" not in str(status.render()))

    on_f10(desk, body)


def test_f10_opens_on_the_first_list_with_rows(desk, failed):
    async def body(app, pilot, screen):
        assert await wait_for(pilot, lambda: screen.query_one("#table-failed").row_count == 1)
        assert await wait_for(pilot, lambda: screen.query_one("#notice-tabs").active == "tab-failed")

    on_f10(desk, body)

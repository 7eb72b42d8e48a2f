"""No e-mail field accepts a My Number (個人番号): the one e-mail rule refuses an address with
12 digits in a run, on every channel (policy, services, command line, F10), never repeats it,
and nothing of it reaches the database."""

from __future__ import annotations

from datetime import date

import pytest

import models
from counter_app.services import InvalidInput, mailer, notices, patrons
from policies.email import check_email
from policies.registration import check_new_patron
from tests.helpers_notices import free_port, on_f10, use_server, wait_for
from tests.helpers_webreg import db_bytes, run_cli

NUMBERS = ["123456789012@example.jp", "１２３４５６７８９０１２＠ｅｘａｍｐｌｅ．ｊｐ", "taro.1234-5678-9012@example.jp", "taro@123456789012.jp"]
DIGITS = ("123456789012", "567890", "998877665544", "77665544")


def assert_not_stored(db_url: str) -> None:
    data = db_bytes(db_url)
    for digits in DIGITS:
        assert digits.encode() not in data


@pytest.mark.parametrize("raw", NUMBERS)
def test_the_email_rule_refuses_an_id_number_without_repeating_it(raw):
    check = check_email(raw, ["example.jp"], [], "library@city.kitsuki.lg.jp")
    assert check.address is None and check.reason == "looks-like-id-number"
    assert "9012" not in check.message + "".join(check.notes) and "個人番号" in check.message


@pytest.mark.parametrize("raw", ["taro1985@example.jp", "0978620001@example.jp", "hanako.090-1234-5678@example.jp"])
def test_shorter_numbers_in_an_address_still_pass(raw):
    assert check_email(raw).address is not None


def test_new_patron_details_use_the_same_rule():
    problems = check_new_patron("杵築 花子", "キツキ", date(1985, 6, 12), "", NUMBERS[0], date(2026, 12, 3))
    assert [(p.reason, p.field) for p in problems] == [("looks-like-id-number", "email")]
    bad = check_new_patron("杵築 花子", "キツキ", date(1985, 6, 12), "", "hanako@@example.jp", date(2026, 12, 3))
    assert [p.reason for p in bad] == ["invalid-email"]


@pytest.fixture
def hanako(db):
    return patrons.add_patron("杵築 花子", "キツキ ハナコ", date(1985, 6, 12), "0978-62-0001", "hanako@example.jp")


@pytest.fixture
def failed(hanako, monkeypatch):
    """A notice to Hanako that failed (the mail server was down; one attempt allowed)."""
    monkeypatch.setenv("LIBRARY_MAIL_MAX_ATTEMPTS", "1")
    use_server(monkeypatch, free_port())
    with models.write_tx():
        n = notices.queue_notice("hold-received", hanako, hanako.email, {"title": "坊っちゃん", "pickup": "山香図書室"})
    assert mailer.send_pass()["failed"] == 1
    return n


@pytest.mark.parametrize("raw", NUMBERS)
def test_services_refuse_it(failed, hanako, db_url, raw):
    with pytest.raises(InvalidInput) as e:
        notices.set_email(hanako.card, raw)
    assert e.value.reasons == ["looks-like-id-number"] and "9012" not in e.value.message
    with pytest.raises(InvalidInput) as e:
        notices.retry_notice(failed.id, raw)
    assert e.value.reasons == ["looks-like-id-number"]
    with pytest.raises(InvalidInput) as e:
        patrons.add_patron("大田 太郎", "オオタ タロウ", date(1990, 1, 1), email=raw)
    assert e.value.reasons == ["looks-like-id-number"]
    assert models.Patron.get_by_id(hanako.id).email == "hanako@example.jp"
    assert models.Notice.get_by_id(failed.id).to_addr == "hanako@example.jp"
    assert models.Notice.get_by_id(failed.id).status == "failed"
    assert models.Patron.select().count() == 1
    assert_not_stored(db_url)


def test_command_line_refuses_it(failed, hanako, db_url, capsys):
    base = ["--db", db_url, "--json"]
    code, doc, err = run_cli(capsys, "patron", "set-email", hanako.card, NUMBERS[0], *base)
    assert code == 3 and doc["ok"] is False and doc["reasons"] == ["looks-like-id-number"]
    assert "123456789012" not in str(doc) + err
    code, doc, err = run_cli(capsys, "notices", "retry", str(failed.id), "--to", NUMBERS[2], *base)
    assert code == 3 and doc["reasons"] == ["looks-like-id-number"] and "9012" not in str(doc) + err
    code, doc, err = run_cli(
        capsys, "patron", "add", "--name", "大田 太郎", "--kana", "オオタ", "--birth", "1990-01-01", "--email", NUMBERS[1], *base
    )
    assert code == 3 and doc["reasons"] == ["looks-like-id-number"] and "9012" not in str(doc) + err
    assert models.Patron.get_by_id(hanako.id).email == "hanako@example.jp"
    assert models.Notice.select().where(models.Notice.to_addr.contains("9012")).count() == 0
    assert_not_stored(db_url)


def test_f10_address_dialogs_refuse_it_and_clear_the_field(desk, failed, hanako, db_url):
    with models.write_tx():  # also put Hanako on the call list (her address bounced)
        models.Patron.update(email_ok=False).where(models.Patron.id == hanako.id).execute()

    async def body(app, pilot, screen):
        table = screen.query_one("#table-failed")
        assert await wait_for(pilot, lambda: table.row_count == 1)
        for keys in (("2", "e"), ("4", "m")):
            await pilot.press(*keys)
            dialog = app.screen
            assert await wait_for(pilot, lambda: dialog.query("#address"))
            await pilot.press("ctrl+a", "ctrl+k", *"998877665544@example.jp", "enter")
            await pilot.pause(0.05)
            assert dialog.query_one("#address").value == ""
            note = str(dialog.query_one("#address-note").render())
            assert "個人番号" in note and "5544" not in note
            await pilot.press("escape")
            assert await wait_for(pilot, lambda: app.screen is screen)

    on_f10(desk, body)
    assert models.Notice.get_by_id(failed.id).to_addr == "hanako@example.jp"
    assert models.Patron.get_by_id(hanako.id).email == "hanako@example.jp"
    assert_not_stored(db_url)

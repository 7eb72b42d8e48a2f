"""Spooled slips are private (folder 0700, files 0600) and can be purged; ``daily`` purges
temporary-password slips older than a day."""

from __future__ import annotations

import json
import stat
from datetime import date, datetime, timedelta

import pytest

from counter_app import cli
from counter_app.services import slips, web_accounts
from tests.helpers_webreg import add


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def spool(tmp_path):
    return tmp_path / "spool"


def test_spooled_slips_are_owner_only(spool):
    spool.mkdir(mode=0o755)  # an existing, too open folder is tightened too
    spool.chmod(0o755)
    first = slips.print_slip("receipt", "テスト")
    second = slips.print_slip("receipt", "テスト")
    assert first.path != second.path and first.path.read_text(encoding="utf-8") == "テスト"
    assert mode(spool) == 0o700
    assert mode(first.path) == 0o600 and mode(second.path) == 0o600
    assert "削除" in first.message


def test_password_slip_is_owner_only(db, spool):
    add()
    issued = web_accounts.register("1000001", "license")
    result = web_accounts.print_password_slip(issued)
    assert result.path.parent == spool and mode(result.path) == 0o600 and mode(spool) == 0o700
    assert "仮パスワード" in result.path.read_text(encoding="utf-8")


def spool_file(spool, when: datetime, kind: str) -> object:
    spool.mkdir(exist_ok=True)
    path = spool / f"{when:%Y%m%d-%H%M%S}-{kind}-1.txt"
    path.write_text("x", encoding="utf-8")
    return path


def test_purge_by_age_and_kind(spool):
    now = datetime(2026, 12, 3, 9, 0, 0)
    old_pw = spool_file(spool, now - timedelta(days=2), "web-password")
    new_pw = spool_file(spool, now - timedelta(hours=2), "web-password")
    old_receipt = spool_file(spool, now - timedelta(days=3), "receipt")
    other = spool / "notes.txt"
    other.write_text("not a slip", encoding="utf-8")
    r = slips.purge(1, kind="web-password", now=now)
    assert (r["deleted"], r["kept"]) == (1, 1)
    assert not old_pw.exists() and new_pw.exists() and old_receipt.exists()
    r = slips.purge(1, now=now)
    assert r["deleted"] == 1 and not old_receipt.exists() and new_pw.exists()
    assert slips.purge(0, now=now)["deleted"] == 1 and not new_pw.exists()
    assert other.exists()  # never touches files it did not write


def test_purge_command(db_url, db, spool, capsys):
    today = datetime.combine(date(2026, 12, 3), datetime.min.time())
    old = spool_file(spool, today - timedelta(days=2), "transit")
    fresh = spool_file(spool, datetime.now().replace(year=2026, month=12, day=3), "receipt")
    assert cli.main(["slips", "purge", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] is True and doc["deleted"] == 1 and not old.exists() and fresh.exists()
    assert cli.main(["slips", "purge", "--older-than-days", "0", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["deleted"] == 1 and not fresh.exists()
    assert cli.main(["slips", "purge", "--older-than-days", "-1", "--json"]) == 3
    assert json.loads(capsys.readouterr().out)["reasons"] == ["invalid-days"]


def test_daily_deletes_password_slips_older_than_a_day(db_url, db, spool, capsys):
    today = datetime.combine(date(2026, 12, 3), datetime.min.time())
    old_pw = spool_file(spool, today - timedelta(days=2), "web-password")
    old_receipt = spool_file(spool, today - timedelta(days=2), "receipt")
    assert cli.main(["daily", "--json", "--db", db_url]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["password_slips_deleted"] == 1
    assert not old_pw.exists() and old_receipt.exists()

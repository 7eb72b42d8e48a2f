"""Command line contracts: patron add, patron show's web block, web-register, web-unlock."""

from __future__ import annotations

import pytest

import models
from counter_app.services import staff
from tests.helpers_webreg import db_bytes, run_cli


@pytest.fixture
def base(db, db_url):
    return ["--db", db_url]


def add_args(base, name="杵築 花子", kana="キツキ ハナコ", birth="1985-06-12", *extra):
    return ["patron", "add", "--name", name, "--kana", kana, "--birth", birth, *extra, "--json", *base]


def test_patron_add_then_register_then_show(base, capsys, db_url):
    code, doc, _ = run_cli(capsys, *add_args(base, "杵築 花子", "キツキ ハナコ", "1985-06-12", "--phone", "0978-62-0001", "--email", "hanako@example.jp"))
    assert code == 0 and doc["card"] == "1000001" and doc["email"] == "ha***@example.jp"
    code, doc, _ = run_cli(capsys, "web-register", "１０００ ００１", "--id-type", "license", "--json", *base)
    assert code == 0
    assert set(doc) >= {"ok", "card", "temporary_password", "expires"}
    assert doc["ok"] is True and doc["card"] == "1000001" and doc["expires"] == "2027-03-03"
    pw = doc["temporary_password"]
    assert len(pw) >= 12
    acc = models.WebAccount.get()
    assert staff.verify_password(acc.password_hash, pw)
    assert pw.encode() not in db_bytes(db_url)
    code, doc, _ = run_cli(capsys, "patron", "show", "1000001", "--json", *base)
    assert code == 0
    assert doc["web"] == {"status": "temporary", "email": "ha***@example.jp", "expires": "2027-03-03", "last_login": None}
    assert {"card", "name", "loans", "holds"} <= set(doc)


def test_refusals_exit_3_with_reason_codes(base, capsys):
    run_cli(capsys, *add_args(base))
    run_cli(capsys, *add_args(base, "大田 さくら", "オオタ サクラ", "2015-04-02"))
    run_cli(capsys, "web-register", "1000001", "--id-type", "insurance", "--json", *base)

    code, doc, err = run_cli(capsys, "web-register", "1000001", "--id-type", "insurance", "--json", *base)
    assert code == 3 and doc["ok"] is False and doc["reasons"] == ["already-registered"] and "--reissue" in doc["message"]
    assert "Traceback" not in err

    code, doc, _ = run_cli(capsys, "web-register", "1000002", "--id-type", "student", "--json", *base)
    assert code == 3 and doc["reasons"] == ["under-age"] and "2028年4月1日" in doc["message"]

    code, doc, _ = run_cli(capsys, "web-register", "7654321", "--id-type", "other", "--json", *base)
    assert code == 3 and doc["reasons"] == ["unknown-card"]

    for bad in ("100000", "10000001", "abcdefg"):
        code, doc, _ = run_cli(capsys, "web-register", bad, "--id-type", "other", "--json", *base)
        assert code == 3 and doc["reasons"] == ["invalid-card"]
    assert models.WebAccount.select().count() == 1


def test_reissue_from_the_command_line(base, capsys):
    run_cli(capsys, *add_args(base))
    _, first, _ = run_cli(capsys, "web-register", "1000001", "--id-type", "license", "--json", *base)
    code, second, _ = run_cli(capsys, "web-register", "1000001", "--id-type", "license", "--reissue", "--json", *base)
    assert code == 0 and second["temporary_password"] != first["temporary_password"]
    acc = models.WebAccount.get()
    assert not staff.verify_password(acc.password_hash, first["temporary_password"])
    assert acc.session_epoch == 1


def test_staff_login_is_recorded(base, capsys, desk):
    run_cli(capsys, *add_args(base, "杵築 花子", "キツキ ハナコ", "1985-06-12", "--staff", "desk1"))
    code, _, _ = run_cli(capsys, "web-register", "1000001", "--id-type", "mynumber", "--staff", "desk1", "--json", *base)
    assert code == 0
    assert models.WebAccount.get().id_checked_by_id == desk.id
    ev = models.AuditEvent.get(models.AuditEvent.action == "web-register")
    assert ev.staff_id == desk.id and ev.channel == "cli" and ev.card == "1000001"
    code, doc, _ = run_cli(capsys, "web-register", "1000001", "--id-type", "license", "--staff", "nobody", "--json", *base)
    assert code == 3 and doc["reasons"] == ["unknown-staff"]


def test_slip_option_spools_the_slip(base, capsys, tmp_path):
    run_cli(capsys, *add_args(base))
    code, doc, _ = run_cli(capsys, "web-register", "1000001", "--id-type", "license", "--slip", "--json", *base)
    assert code == 0 and doc["slip"]["printed"] is False
    text = open(doc["slip"]["path"], encoding="utf-8").read()
    assert "初回ログイン後に変更してください" in text


@pytest.mark.parametrize("args, reason", [
    (("", "キツキ", "1985-06-12"), "empty-name"),
    (("杵築 花子", "キツキ", "2027-01-01"), "birth-in-future"),
    (("杵築 花子", "キツキ", "1899-12-31"), "birth-too-early"),
    (("杵築 花子", "キツキ", "12/06/1985"), "invalid-birth-date"),
    (("杵築 花子", "キツキ", "1985-02-30"), "invalid-birth-date"),
    (("杵築 花子", "", "1985-06-12"), "empty-kana"),
])
def test_patron_add_bad_input(base, capsys, args, reason):
    code, doc, err = run_cli(capsys, *add_args(base, *args))
    assert code == 3 and reason in doc["reasons"] and doc["message"]
    assert models.Patron.select().count() == 0


def test_patron_add_duplicate_and_card(base, capsys):
    run_cli(capsys, *add_args(base))
    code, doc, _ = run_cli(capsys, *add_args(base))
    assert code == 3 and doc["reasons"] == ["possible-duplicate"] and doc["cards"] == ["1000001"]
    code, doc, _ = run_cli(capsys, *add_args(base, "杵築 花子", "キツキ ハナコ", "1985-06-12", "--confirm-duplicate", "--card", "２０００-０００"))
    assert code == 0 and doc["card"] == "2000000"
    code, doc, _ = run_cli(capsys, *add_args(base, "山香 太郎", "ヤマガ タロウ", "1972-11-03", "--card", "2000000"))
    assert code == 3 and doc["reasons"] == ["card-in-use"]


@pytest.mark.parametrize("option", ["--name", "--kana", "--phone", "--email", "--card"])
def test_no_option_accepts_an_id_number(base, capsys, db_url, option):
    values = {"--name": "杵築 花子", "--kana": "キツキ", "--phone": "", "--email": "", "--card": "1000009"}
    values[option] = "１２３４ ５６７８ ９０１２" if option != "--email" else "123456789012@example.jp"
    argv = ["patron", "add", "--birth", "1985-06-12", "--json", *base]
    for k, v in values.items():
        argv += [k, v]
    code, doc, err = run_cli(capsys, *argv)
    assert code == 3 and doc["reasons"][0] in ("looks-like-id-number", "invalid-card")
    assert "123456789012" not in doc["message"] + err and "9012" not in doc["message"] + err
    assert models.Patron.select().count() == 0 and models.AuditEvent.select().count() == 0
    assert b"9012" not in db_bytes(db_url)


def test_web_unlock_cli(base, capsys):
    run_cli(capsys, *add_args(base))
    run_cli(capsys, "web-register", "1000001", "--id-type", "license", "--json", *base)
    models.WebAccount.update(locked=True).execute()
    code, doc, _ = run_cli(capsys, "patron", "show", "1000001", "--json", *base)
    assert doc["web"]["status"] == "locked"
    code, doc, _ = run_cli(capsys, "web-unlock", "1000001", "--json", *base)
    assert code == 0 and doc["status"] == "temporary"
    code, doc, _ = run_cli(capsys, "web-unlock", "1000001", "--json", *base)
    assert code == 3 and doc["reasons"] == ["not-locked"]

"""Checkout, check-in and renewal through the services and the command line."""

from __future__ import annotations

import json
import sqlite3
from datetime import date

import pytest

import models
from counter_app.cli import main
from counter_app.services import InvalidInput, Refused, circulation
from tests.helpers_circulation import (  # noqa: F401  (fixtures)
    BOOK_KIT, BOOK_KIT_2, BOOK_YAM, CD, DVDS, MAGAZINE, NOT_OWNED, item, people, reserve, set_today,
)


# --- checkout ----------------------------------------------------------------------------------


def test_checkout_lends_with_due_date_and_refuses_each_item_on_its_own(people):
    a, b, actor = people
    out = circulation.checkout(a, [BOOK_KIT, "９９９９", DVDS[0]], "KIT", actor)
    assert [r["ok"] for r in out] == [True, False, True]
    assert out[0]["due"] == "2026-12-17" and out[0]["title"] == "こころ"
    assert out[1]["reasons"] == ["unknown-item"] and out[1]["barcode"] == "9999"
    assert out[2]["due"] == "2026-12-10"  # DVD: 7 days
    assert item(BOOK_KIT).status == "on-loan"
    loan = models.Loan.get(models.Loan.item == item(BOOK_KIT).id)
    assert loan.staff_id == actor.staff_id and loan.branch.code == "KIT"
    # to someone else / to the same patron again
    again = circulation.checkout(b, [BOOK_KIT], "KIT", actor)[0]
    assert again["reasons"] == ["on-loan"] and "他の利用者" in again["message"]
    twice = circulation.checkout(a, [BOOK_KIT], "KIT", actor)[0]
    assert twice["reasons"] == ["already-on-loan-to-you"]


def test_checkout_due_date_moves_past_year_end_closure(people, monkeypatch):
    a, _b, actor = people
    set_today(monkeypatch, "2026-12-15")
    assert circulation.checkout(a, [BOOK_KIT], "KIT", actor)[0]["due"] == "2027-01-05"
    assert circulation.checkout(a, [BOOK_YAM], "YAM", actor)[0]["due"] == "2027-01-06"  # YAM: Mon+Tue closed


def test_checkout_due_date_moves_past_a_closed_date_added_by_the_admin(people, monkeypatch):
    from counter_app.services import calendar

    a, _b, actor = people
    calendar.add_closed("2026-12-17", "KIT", "蔵書点検")
    out = circulation.checkout(a, [BOOK_KIT, BOOK_YAM], "KIT", actor)
    assert out[0]["due"] == "2026-12-18"
    assert circulation.checkout(a, [MAGAZINE], "YAM", actor)[0]["due"] == "2026-12-17"  # only KIT closed


def test_limits_and_blocked_patron(people, monkeypatch):
    a, b, actor = people
    out = circulation.checkout(a, DVDS, "KIT", actor)
    assert [r["ok"] for r in out] == [True, True, True, False]
    assert out[3]["reasons"] == ["av-limit-reached"]
    monkeypatch.setenv("LIBRARY_MAX_LOANS", "4")
    out = circulation.checkout(a, [BOOK_KIT, BOOK_KIT_2], "KIT", actor)
    assert out[0]["ok"] and out[1]["reasons"] == ["limit-reached"]
    models.Patron.update(blocked=True).where(models.Patron.card == b).execute()
    out = circulation.checkout(b, [BOOK_KIT_2], "KIT", actor)[0]
    assert out["reasons"] == ["patron-blocked"] and "貸出停止" in out["message"]


def test_item_in_transit_and_held_for_another_are_refused(people):
    a, b, actor = people
    circulation.checkout(a, [BOOK_KIT], "KIT", actor)
    circulation.checkin([BOOK_KIT], "YAM", actor)  # now travelling home
    assert circulation.checkout(b, [BOOK_KIT], "YAM", actor)[0]["reasons"] == ["in-transit"]
    hold = reserve(a, BOOK_KIT_2)
    models.Hold.update(item=item(BOOK_KIT_2).id, status="ready").where(models.Hold.id == hold.id).execute()
    assert circulation.checkout(b, [BOOK_KIT_2], "KIT", actor)[0]["reasons"] == ["held-for-another"]


def test_overdue_patron_may_borrow_but_is_warned(people, monkeypatch):
    a, _b, actor = people
    set_today(monkeypatch, "2026-11-01")
    circulation.checkout(a, [BOOK_KIT], "KIT", actor)
    set_today(monkeypatch, "2026-12-03")
    out = circulation.checkout(a, [BOOK_KIT_2], "KIT", actor)[0]
    assert out["ok"] and out["warnings"] == ["patron-overdue"] and "返却期限を過ぎた" in out["message"]


def test_unknown_card_and_unknown_point_are_refused(people):
    _a, _b, actor = people
    with pytest.raises(Refused) as e:
        circulation.checkout("1234567", [BOOK_KIT], "KIT", actor)
    assert e.value.reasons == ["unknown-card"]
    with pytest.raises(InvalidInput) as e:
        circulation.checkout("1000001", [BOOK_KIT], "XYZ", actor)
    assert e.value.reasons == ["unknown-branch"]
    assert models.Loan.select().count() == 0


# --- check-in ----------------------------------------------------------------------------------


def test_checkin_at_home_goes_to_shelf_and_elsewhere_goes_home_with_a_slip(people, tmp_path):
    a, _b, actor = people
    circulation.checkout(a, [BOOK_KIT, BOOK_KIT_2], "KIT", actor)
    home = circulation.checkin([BOOK_KIT], "KIT", actor)[0]
    foreign = circulation.checkin([BOOK_KIT_2], "OTA", actor)[0]
    assert home["route"] == "shelf" and item(BOOK_KIT).status == "available"
    assert foreign["route"] == "transit:KIT"
    moved = item(BOOK_KIT_2)
    assert moved.status == "in-transit" and moved.transit_to.code == "KIT" and moved.location.code == "OTA"
    slips = list((tmp_path / "spool").glob("*transit*.txt"))
    assert len(slips) == 1
    text = slips[0].read_text(encoding="utf-8")
    assert "回送票" in text and "杵築市立図書館" in text and BOOK_KIT_2 in text and "大田図書室" in text
    # Arrival at home: back on the shelf.
    arrived = circulation.checkin([BOOK_KIT_2], "KIT", actor)[0]
    assert arrived["route"] == "shelf" and "到着" in arrived["message"]
    assert item(BOOK_KIT_2).status == "available" and item(BOOK_KIT_2).transit_to is None


def test_checkin_uses_the_reservation_route(people, monkeypatch, tmp_path):
    from counter_app.services import holds

    a, _b, actor = people
    circulation.checkout(a, [BOOK_KIT], "KIT", actor)
    seen = []

    def on_return(it, at_point_id, today):
        seen.append((it.barcode, at_point_id, today))
        return "hold-shelf"

    monkeypatch.setattr(holds, "on_return", on_return)
    out = circulation.checkin([BOOK_KIT], "YAM", actor)[0]
    assert out["route"] == "hold-shelf" and seen == [(BOOK_KIT, item(BOOK_KIT).location_id, date(2026, 12, 3))]
    assert not list((tmp_path / "spool").glob("*transit*"))  # the reservations decide, no slip here


def test_unknown_barcode_at_checkin(people):
    _a, _b, actor = people
    out = circulation.checkin(["ABC"], "KIT", actor)[0]
    assert not out["ok"] and out["route"] is None and out["reasons"] == ["unknown-item"]


def test_return_leaves_no_link_between_patron_and_item(people, db_url):
    a, _b, actor = people
    circulation.checkout(a, [BOOK_KIT], "KIT", actor)
    circulation.renew(a, [BOOK_KIT], "counter", actor)
    circulation.checkin([BOOK_KIT], "YAM", actor)
    models.close_database()
    patron_id = None
    con = sqlite3.connect(db_url[len("sqlite:///"):])
    try:
        patron_id = con.execute("select id from patron where card = ?", (a,)).fetchone()[0]
        item_id = con.execute("select id from item where barcode = ?", (BOOK_KIT,)).fetchone()[0]
        assert con.execute("select count(*) from loan").fetchone()[0] == 0
        # No row of any table mentions both the patron and the item.
        tables = [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
        for table in tables:
            if table.startswith("bib_fts"):
                continue
            cols = [r[1] for r in con.execute(f"pragma table_info('{table}')")]
            for row in con.execute(f"select * from '{table}'"):
                values = dict(zip(cols, row))
                text = json.dumps(values, ensure_ascii=False, default=str)
                has_patron = a in text or values.get("patron_id") == patron_id
                has_item = BOOK_KIT in text or values.get("item_id") == item_id
                assert not (has_patron and has_item), (table, values)
        counts = con.execute("select event, branch, material_type, ndc_class, count from circulation_count order by event").fetchall()
        assert ("checkin", "YAM", "book", "9", 1) in counts and ("checkout", "KIT", "book", "9", 1) in counts
        assert ("renew", "KIT", "book", "9", 1) in counts
    finally:
        con.close()


# --- renewal -----------------------------------------------------------------------------------


def test_renewal_records_channel_staff_and_new_due(people, monkeypatch):
    a, _b, actor = people
    set_today(monkeypatch, "2026-11-26")
    circulation.checkout(a, [BOOK_KIT], "KIT", actor)  # due 12-10
    set_today(monkeypatch, "2026-12-10")  # ON the due date: allowed
    out = circulation.renew(a, [BOOK_KIT], "phone", actor, identity="kana+birth")[0]
    assert out["ok"] and out["due"] == "2026-12-24" and out["reasons"] == []
    loan = models.Loan.get(models.Loan.item == item(BOOK_KIT).id)
    assert (loan.renewals, loan.renew_channel, loan.staff_id, loan.renewed_on) == (1, "phone", actor.staff_id, date(2026, 12, 10))
    ev = models.AuditEvent.select().where(models.AuditEvent.action == "renew").get()
    assert ev.staff_id == actor.staff_id and json.loads(ev.detail)["via"] == "phone"
    assert json.loads(ev.detail)["identity"] == "kana+birth"
    assert ev.card == ""  # the loan holds the patron while it runs; the audit trail does not
    again = circulation.renew(a, [BOOK_KIT], "counter", actor)[0]
    assert again["reasons"] == ["already-renewed"]


def test_renewal_gives_every_reason_from_the_database(people, monkeypatch):
    a, b, actor = people
    set_today(monkeypatch, "2026-11-01")
    circulation.checkout(a, [BOOK_KIT_2, NOT_OWNED, MAGAZINE, CD], "KIT", actor)  # due 11-16 / 11-09
    # renewed once by an older rule (not-owned items cannot be renewed now)
    models.Loan.update(renewals=1).where(models.Loan.item == item(NOT_OWNED).id).execute()
    reserve(b, NOT_OWNED)
    set_today(monkeypatch, "2026-11-17")  # the day after 11-16
    out = {r["barcode"]: r for r in circulation.renew(a, [BOOK_KIT_2, NOT_OWNED, MAGAZINE, CD, BOOK_KIT], "counter", actor)}
    assert out[NOT_OWNED]["reasons"] == ["not-owned", "patron-overdue", "title-reserved", "already-renewed", "past-due"]
    assert out[MAGAZINE]["reasons"] == ["material-type", "patron-overdue", "past-due"]
    assert out[BOOK_KIT_2]["reasons"] == ["patron-overdue", "past-due"]
    assert out[BOOK_KIT]["reasons"] == ["not-on-loan"]
    assert all(not r["ok"] for r in out.values())


def test_renewal_preview(people, monkeypatch):
    a, b, actor = people
    circulation.checkout(a, [BOOK_KIT, BOOK_KIT_2], "KIT", actor)
    reserve(b, BOOK_KIT_2)
    set_today(monkeypatch, "2026-12-15")
    rows = {r["barcode"]: r for r in circulation.renewal_preview(a)}
    assert rows[BOOK_KIT]["renewable"] and rows[BOOK_KIT]["renewable_until"] == "2026-12-17"
    assert rows[BOOK_KIT]["new_due"] == "2027-01-05"  # across the year-end closure
    assert not rows[BOOK_KIT_2]["renewable"] and rows[BOOK_KIT_2]["reasons"] == ["title-reserved"]
    assert "予約" in rows[BOOK_KIT_2]["summary"]


def test_bad_channel_is_invalid_input(people):
    a, _b, actor = people
    with pytest.raises(InvalidInput) as e:
        circulation.renew(a, [BOOK_KIT], "fax", actor)
    assert e.value.reasons == ["invalid-channel"]


def test_find_patron_for_phone_records_identity_check(people):
    a, _b, actor = people
    found = circulation.find_patron_for_phone("きつき　はなこ", date(1985, 6, 12), actor)
    assert found["card"] == a
    ev = models.AuditEvent.select().where(models.AuditEvent.action == "identity-check").get()
    assert ev.card == a and json.loads(ev.detail)["method"] == "kana+birth"
    with pytest.raises(Refused) as e:
        circulation.find_patron_for_phone("キツキ ハナコ", date(1985, 6, 13), actor)
    assert e.value.reasons == ["patron-not-found"]


def test_overdue_list_per_point(people, monkeypatch):
    a, b, actor = people
    set_today(monkeypatch, "2026-11-01")
    circulation.checkout(a, [BOOK_KIT], "KIT", actor)
    circulation.checkout(b, [BOOK_YAM], "YAM", actor)
    set_today(monkeypatch, "2026-12-03")
    circulation.checkout(b, [BOOK_KIT_2], "KIT", actor)  # not overdue
    rows = circulation.overdue_list("KIT")
    assert [(r["card"], r["barcode"], r["phone"]) for r in rows] == [(a, BOOK_KIT, "0978-62-0001")]
    assert rows[0]["days_overdue"] == (date(2026, 12, 3) - date.fromisoformat(rows[0]["due"])).days > 0
    assert [r["card"] for r in circulation.overdue_list("YAM")] == [b]


# --- command line ------------------------------------------------------------------------------


def run_cli(capsys, *argv) -> tuple[int, dict]:
    code = main(list(argv))
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_cli_checkout_checkin_renew(people, db_url, capsys):
    a, _b, _actor = people
    code, data = run_cli(capsys, "checkout", a, BOOK_KIT, BOOK_KIT_2, "--at", "KIT", "--json", "--db", db_url)
    assert code == 0 and [i["ok"] for i in data["items"]] == [True, True]
    assert {"barcode", "ok", "due", "reasons"} <= set(data["items"][0])
    code, data = run_cli(capsys, "checkout", a, BOOK_KIT, "--at", "KIT", "--json", "--db", db_url)
    assert code == 3 and data["items"][0]["reasons"] == ["already-on-loan-to-you"]
    code, data = run_cli(capsys, "renew", a, BOOK_KIT, "--via", "phone", "--json", "--db", db_url)
    assert code == 0 and data["items"][0]["ok"] and data["items"][0]["due"] == "2026-12-17"
    code, data = run_cli(capsys, "renew", a, BOOK_KIT, "--via", "phone", "--json", "--db", db_url)
    assert code == 3 and data["items"][0]["reasons"] == ["already-renewed"]
    code, data = run_cli(capsys, "checkin", BOOK_KIT, BOOK_KIT_2, "--at", "YAM", "--json", "--db", db_url)
    assert code == 0 and [i["route"] for i in data["items"]] == ["transit:KIT", "transit:KIT"]
    code, data = run_cli(capsys, "checkin", "NOPE", "--at", "KIT", "--json", "--db", db_url)
    assert code == 3 and data["items"][0] == {**data["items"][0], "ok": False, "route": None}
    code, data = run_cli(capsys, "overdue", "--at", "KIT", "--json", "--db", db_url)
    assert code == 0 and data["items"] == []


def test_cli_bad_input_is_a_refusal_with_a_reason(people, db_url, capsys):
    code, data = run_cli(capsys, "checkout", "12ab", BOOK_KIT, "--at", "KIT", "--json", "--db", db_url)
    assert code == 3 and data["reasons"] == ["invalid-card"]
    code, data = run_cli(capsys, "checkin", BOOK_KIT, "--at", "ZZZ", "--json", "--db", db_url)
    assert code == 3 and data["reasons"] == ["unknown-branch"]


def test_cli_calendar(db, db_url, capsys):
    code, data = run_cli(capsys, "calendar", "add", "2026-12-10", "--point", "OTA", "--reason", "蔵書点検", "--json", "--db", db_url)
    assert code == 0 and data["point"] == "OTA"
    code, data = run_cli(capsys, "calendar", "list", "--year", "2026", "--json", "--db", db_url)
    assert {"date": "2026-12-10", "point": "OTA", "reason": "蔵書点検"} in data["days"]
    assert data["weekly"]["KIT"] == [1]
    code, data = run_cli(capsys, "calendar", "remove", "2026-12-10", "--json", "--db", db_url)
    assert code == 3 and data["reasons"] == ["not-closed"]
    code, data = run_cli(capsys, "calendar", "remove", "2026-12-10", "--point", "OTA", "--json", "--db", db_url)
    assert code == 0
    code, data = run_cli(capsys, "calendar", "add", "12/10", "--reason", "x", "--json", "--db", db_url)
    assert code == 3 and data["reasons"] == ["invalid-date"]


def test_init_twice_does_not_duplicate_holidays(db, db_url):
    from counter_app.services import setup

    before = models.ClosedDay.select().count()
    setup.init_database(db_url)
    assert before > 0 and models.ClosedDay.select().count() == before

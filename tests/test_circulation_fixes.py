"""Fixes found by QA in circulation: renewal never shortens a loan (B5), public holidays of any
year (B6), repeated returns and the return counter (C4), the F4 header (C5), the F6 inputs and
telephone candidates (P5, C2, C1), the command line's summary and --staff (P7, P2)."""

from __future__ import annotations

import asyncio
import json
from datetime import date

import pytest

import models
from counter_app.cli import main
from counter_app.services import circulation
from tests.test_circulation_screens import _app, _cells, _keys, _settle
from tests.helpers_circulation import (  # noqa: F401  (fixtures)
    BOOK_KIT, BOOK_KIT_2, BOOK_YAM, MAGAZINE, item, people, set_today,
)


def on_screen(actor, key: str, steps, point: str = "KIT") -> None:
    """Open the counter app signed in at ``point``, press ``key`` (F4/F5/F6) and run
    ``await steps(pilot, screen)`` on the screen it shows."""

    async def drive():
        app = _app(actor, point=point)
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.press(key)
            await pilot.pause()
            await steps(pilot, app.screen)

    asyncio.run(drive())


# --- B5: a renewal never moves the due date earlier ---------------------------------------------


def test_renewal_with_the_clock_before_the_loan_keeps_the_due_date(people, monkeypatch):
    a, _b, actor = people
    assert circulation.checkout(a, [BOOK_KIT], "KIT", actor)[0]["due"] == "2026-12-17"
    set_today(monkeypatch, "2026-11-01")
    preview = circulation.renewal_preview(a)[0]
    assert preview["new_due"] == "2026-12-17"
    out = circulation.renew(a, [BOOK_KIT], "counter", actor)[0]
    assert out["ok"] and out["due"] == "2026-12-17"
    assert models.Loan.get(models.Loan.item == item(BOOK_KIT).id).due == date(2026, 12, 17)


def test_renewed_due_is_never_before_the_current_due():
    from policies.calendar import Calendar
    from policies.loans import LoanRules
    from policies.renewal import renewed_due

    rules = LoanRules({"book": 14})
    cal = Calendar()
    assert renewed_due(rules, cal, "book", date(2026, 12, 3), date(2027, 1, 30)) == date(2027, 1, 30)
    assert renewed_due(rules, cal, "book", date(2026, 12, 3), date(2026, 12, 5)) == date(2026, 12, 17)


# --- B6: public holidays of every year, not only the seeded ones --------------------------------


@pytest.mark.parametrize(
    "lent_on, due",
    [
        ("2028-01-28", "2028-02-12"),  # 2028-02-11 建国記念の日 (Fri) → Sat
        ("2030-04-19", "2030-05-07"),  # 05-03..05-05 祝日, 05-06 振替休日 and KIT's Monday → Tue
        ("2029-09-09", "2029-09-25"),  # 09-23 秋分の日 (Sun), 09-24 振替休日 (Mon) → Tue
    ],
)
def test_due_date_skips_public_holidays_after_the_seeded_years(people, monkeypatch, lent_on, due):
    a, _b, actor = people
    set_today(monkeypatch, lent_on)
    assert circulation.checkout(a, [BOOK_KIT], "KIT", actor)[0]["due"] == due


def test_calendar_knows_holidays_of_a_year_far_ahead(db):
    from counter_app.services.calendar import calendar_for, list_closed

    cal = calendar_for("YAM")
    assert cal.closed_reason(date(2035, 2, 11)) == "建国記念の日"
    assert cal.closed_reason(date(2035, 2, 14)) is None  # a Wednesday
    days = list_closed(2028)["days"]
    assert {"date": "2028-02-11", "point": None, "reason": "建国記念の日"} in days


# --- C4: a second scan at F5 / check-in ---------------------------------------------------------


def test_second_scan_of_an_item_sent_off_prints_no_second_slip(people, tmp_path):
    a, _b, actor = people
    circulation.checkout(a, [BOOK_KIT], "KIT", actor)
    first = circulation.checkin([BOOK_KIT], "YAM", actor)[0]
    assert first["kind"] == "return" and first["route"] == "transit:KIT" and first.get("slip")
    events = models.AuditEvent.select().count()
    second = circulation.checkin([BOOK_KIT], "YAM", actor)[0]
    assert second["ok"] and second["kind"] == "already-in-transit" and second["route"] == "transit:KIT"
    assert "slip" not in second and "回送手続き済み" in second["message"]
    assert len(list((tmp_path / "spool").glob("*transit*"))) == 1
    assert models.AuditEvent.select().count() == events  # nothing changed
    it = item(BOOK_KIT)
    assert it.status == "in-transit" and it.transit_to.code == "KIT" and it.location.code == "YAM"
    # Passing through a third point: a slip from there, and a scan again there prints none.
    passing = circulation.checkin([BOOK_KIT], "OTA", actor)[0]
    assert passing["kind"] == "passing" and passing.get("slip")
    assert circulation.checkin([BOOK_KIT], "OTA", actor)[0]["kind"] == "already-in-transit"
    assert len(list((tmp_path / "spool").glob("*transit*"))) == 2
    # It arrives home: an arrival, not a return.
    assert circulation.checkin([BOOK_KIT], "KIT", actor)[0]["kind"] == "arrival"


def test_checkin_summary_counts_only_closed_loans_as_returns(people):
    a, _b, actor = people
    circulation.checkout(a, [BOOK_KIT, BOOK_KIT_2], "KIT", actor)
    out = circulation.checkin([BOOK_KIT, BOOK_KIT_2, BOOK_KIT, "1000000005", "NOPE"], "KIT", actor)
    assert [r.get("kind") for r in out] == ["return", "return", "not-on-loan", "not-on-loan", None]
    assert circulation.checkin_summary(out) == "返却 2 点・その他 2 点・処理できない資料 1 点"


def test_f5_counts_returns_and_arrivals_apart_and_a_second_scan_prints_nothing(people, tmp_path):
    a, _b, actor = people
    circulation.checkout(a, [BOOK_KIT, BOOK_YAM, BOOK_KIT_2], "KIT", actor)
    circulation.checkin([BOOK_YAM], "KIT", actor)  # on its way home to YAM
    slips_before = len(list((tmp_path / "spool").glob("*transit*")))

    async def steps(pilot, screen):
        await pilot.press(*_keys(f"{BOOK_KIT}\n{BOOK_KIT}\n{BOOK_YAM}\n{BOOK_KIT_2}\n"))
        table = screen.query_one("#ci-lines")
        await _settle(pilot, lambda: table.row_count == 4 and not screen._busy
                      and all("処理待ち" not in r[3] for r in _cells(table)))
        rows = _cells(table)
        assert "回送手続き済み" in rows[1][3] and "2回目" in rows[1][4]
        assert "到着" in rows[2][4]
        status = str(screen.query_one("#ci-status").render())
        assert "返却 2 点・到着 1 点・その他 1 点" in status

    on_screen(actor, "f5", steps, point="YAM")
    assert len(list((tmp_path / "spool").glob("*transit*"))) == slips_before + 2


# --- C5: the F4 header follows the loans --------------------------------------------------------


def test_f4_header_counts_the_loans_just_made(people):
    a, _b, actor = people

    async def steps(pilot, screen):
        header = screen.query_one("#co-patron")
        await pilot.press(*_keys(f"{a}\n"))
        await _settle(pilot, lambda: "貸出中 0 点" in str(header.render()))
        await pilot.press(*_keys(f"{BOOK_KIT}\n"))
        await _settle(pilot, lambda: "貸出中 1 点" in str(header.render()))
        await pilot.press(*_keys(f"{BOOK_KIT_2}\n{MAGAZINE}\n"))
        await _settle(pilot, lambda: "貸出中 3 点" in str(header.render()) and not screen._busy)
        assert "杵築 花子" in str(header.render())

    on_screen(actor, "f4", steps)


# --- P5: the F6 birth-date field shows the whole date --------------------------------------------


def test_f6_birth_date_field_shows_the_whole_date(people):
    a, _b, actor = people

    async def steps(pilot, screen):
        await pilot.press("ctrl+g", *"キツキ ハナコ", "enter", *"1985-06-12")
        await pilot.pause()
        field = screen.query_one("#rn-birth")
        shown = "".join(field.render_line(y).text for y in range(field.size.height))
        assert "1985-06-12" in shown, shown

    on_screen(actor, "f6", steps)


# --- P7 / P2: the command line's summary, stderr lines and --staff ------------------------------


def _cli(capsys, *argv) -> tuple[int, dict, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


def test_cli_refused_items_give_ok_message_and_one_line_each_on_stderr(people, db_url, capsys):
    a, b, actor = people
    circulation.checkout(b, [BOOK_KIT_2], "KIT", actor)
    code, data, err = _cli(capsys, "checkout", a, BOOK_KIT, BOOK_KIT_2, "NOPE", "--at", "KIT", "--json", "--db", db_url)
    assert code == 3 and data["ok"] is False
    assert data["message"] == "貸出 1 点・貸出できない資料 2 点"
    assert [i["ok"] for i in data["items"]] == [True, False, False]
    assert set(data["items"][0]) == {"barcode", "ok", "due", "reasons", "title", "message"}
    lines = err.strip().splitlines()
    assert len(lines) == 2 and BOOK_KIT_2 in lines[0] and "他の利用者に貸出中" in lines[0]
    assert "NOPE" in lines[1] and "登録されていません" in lines[1]
    code, data, err = _cli(capsys, "renew", a, BOOK_KIT, "--json", "--db", db_url)
    assert code == 0 and data["ok"] is True and data["message"] == "延長 1 点" and err == ""
    code, data, err = _cli(capsys, "renew", a, BOOK_KIT, "--json", "--db", db_url)
    assert code == 3 and data["ok"] is False and "延長できない資料 1 点" in data["message"]
    assert "延長は1回のみ" in err
    code, data, err = _cli(capsys, "checkin", BOOK_KIT, BOOK_KIT, "--at", "KIT", "--json", "--db", db_url)
    assert code == 0 and data["ok"] is True and data["message"] == "返却 1 点・その他 1 点"
    assert [set(i) >= {"barcode", "ok", "route"} for i in data["items"]] == [True, True]


def test_cli_staff_is_recorded_and_an_unknown_login_is_refused(people, db_url, capsys):
    a, _b, actor = people
    code, data, _err = _cli(capsys, "checkout", a, BOOK_KIT, "--at", "KIT", "--staff", "desk1", "--json", "--db", db_url)
    assert code == 0
    assert models.Loan.get(models.Loan.item == item(BOOK_KIT).id).staff_id == actor.staff_id
    ev = models.AuditEvent.select().where(models.AuditEvent.action == "checkout").get()
    assert ev.staff_id == actor.staff_id and ev.channel == "cli"
    code, data, _err = _cli(capsys, "renew", a, BOOK_KIT, "--via", "phone", "--staff", "desk1", "--json", "--db", db_url)
    ev = models.AuditEvent.select().where(models.AuditEvent.action == "renew").get()
    assert code == 0 and ev.staff_id == actor.staff_id and ev.channel == "phone"
    code, data, _err = _cli(capsys, "checkin", BOOK_KIT, "--at", "KIT", "--staff", "desk1", "--json", "--db", db_url)
    assert code == 0
    assert models.AuditEvent.select().where(models.AuditEvent.action == "checkin").get().staff_id == actor.staff_id
    bib = item(BOOK_KIT_2).bib_id
    code, data, _err = _cli(capsys, "reserve", a, str(bib), "--pickup", "KIT", "--via", "phone", "--staff", "desk1",
                            "--json", "--db", db_url)
    assert code == 0
    assert models.AuditEvent.select().where(models.AuditEvent.action == "hold-reserve").get().staff_id == actor.staff_id
    code, data, _err = _cli(capsys, "cancel-hold", str(data["hold_id"]), "--staff", "desk1", "--json", "--db", db_url)
    assert code == 0
    assert models.AuditEvent.select().where(models.AuditEvent.action == "hold-cancel").get().staff_id == actor.staff_id
    for argv in (["checkout", a, BOOK_KIT_2, "--at", "KIT"], ["checkin", BOOK_KIT_2, "--at", "KIT"],
                 ["renew", a, BOOK_KIT_2], ["pull", BOOK_KIT_2, "--at", "KIT"], ["hold-called", "1"],
                 ["cancel-hold", "1"], ["reserve", a, str(bib), "--pickup", "KIT", "--via", "phone"]):
        code, data, _err = _cli(capsys, *argv, "--staff", "nobody", "--json", "--db", db_url)
        assert code == 3 and data["reasons"] == ["unknown-staff"], argv
    assert item(BOOK_KIT_2).status == "available"


# --- C2: several patrons with the same kana and birth date ----------------------------------------


@pytest.fixture
def namesake(people):
    from counter_app.services import patrons

    c = patrons.add_patron("木付 花子", "キツキ ハナコ", date(1985, 6, 12), "090-1234-5678", card="1000003",
                           confirm_duplicate=True)
    return c.card


def test_phone_lookup_with_namesakes_lists_candidates_with_masked_phones(people, namesake):
    from counter_app.services import Refused

    a, _b, actor = people
    with pytest.raises(Refused) as err:
        circulation.find_patron_for_phone("キツキ ハナコ", date(1985, 6, 12), actor)
    assert err.value.reasons == ["patron-ambiguous"] and "2人" in err.value.message
    cands = err.value.as_json()["candidates"]
    assert cands == [
        {"card": a, "name": "杵築 花子", "phone": "****-**-0001"},
        {"card": namesake, "name": "木付 花子", "phone": "***-****-5678"},
    ]
    found = circulation.find_patron_for_phone("キツキ ハナコ", date(1985, 6, 12), actor, card=namesake)
    assert found["card"] == namesake
    ev = models.AuditEvent.get(models.AuditEvent.action == "identity-check")
    assert ev.card == namesake and "kana+birth+phone" in ev.detail
    with pytest.raises(Refused):  # a card that does not match the kana and birth date
        circulation.find_patron_for_phone("キツキ ハナコ", date(1985, 6, 12), actor, card=_b)


def test_f6_namesakes_are_listed_and_one_is_picked_by_keyboard(people, namesake):
    a, _b, actor = people
    circulation.checkout(namesake, [BOOK_KIT], "KIT", actor)

    async def steps(pilot, screen):
        await pilot.press("ctrl+t", "ctrl+g", *"キツキ ハナコ", "enter", *"19850612", "enter")
        cands = screen.query_one("#rn-cands")
        await _settle(pilot, lambda: cands.row_count == 2)
        assert cands.display and cands.has_focus
        rows = _cells(cands)
        assert rows[1] == [namesake, "木付 花子", "***-****-5678"]
        assert "電話番号の下4桁" in str(screen.query_one("#rn-patron").render())
        await pilot.press("down", "enter")
        table = screen.query_one("#rn-loans")
        await _settle(pilot, lambda: table.row_count == 1)
        info = str(screen.query_one("#rn-patron").render())
        assert "木付 花子" in info and "電話番号で確認" in info and not cands.display

    on_screen(actor, "f6", steps)


# --- C1: a renewal that would not move the due date ------------------------------------------------


def test_f6_select_all_leaves_out_a_same_day_renewal_and_its_warning_is_visible(people, monkeypatch):
    a, _b, actor = people
    set_today(monkeypatch, "2026-11-26")
    circulation.checkout(a, [BOOK_KIT_2], "KIT", actor)  # due 12-10: a renewal today extends it
    set_today(monkeypatch, "2026-12-03")
    circulation.checkout(a, [BOOK_KIT], "KIT", actor)  # due 12-17: a renewal today would not
    rows = {r["barcode"]: r for r in circulation.renewal_preview(a)}
    assert rows[BOOK_KIT]["renewable"] and not rows[BOOK_KIT]["extends"]
    assert rows[BOOK_KIT_2]["extends"]

    async def steps(pilot, screen):
        await pilot.press(*_keys(f"{a}\n"))
        table = screen.query_one("#rn-loans")
        await _settle(pilot, lambda: table.row_count == 2)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert screen._selected == {BOOK_KIT_2}
        lines = [table.render_line(y).text for y in range(table.size.height)]
        same_day = next(line for line in lines if BOOK_KIT in line)
        assert "期限は延びません" in same_day, same_day
        other = next(line for line in lines if BOOK_KIT_2 in line)
        assert "2026-12-17" in other and "12-10まで可" in other, other

    on_screen(actor, "f6", steps)

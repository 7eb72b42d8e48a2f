"""The reservation life through the services, with real checkout and check-in."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest

import models
from counter_app.cli import main
from counter_app.services import InvalidInput, Refused, circulation, holds
from counter_app.services.patrons import patron_summary
from tests.helpers_holds import (  # noqa: F401  (fixtures)
    DVD,
    NOT_OWNED,
    SANSHIRO,
    YUKIGUNI_KIT,
    YUKIGUNI_OTA,
    bib_of,
    folk,
    hold,
    item,
    set_today,
)


def positions(bib_id: int) -> list[int]:
    from counter_app.services.patrons import hold_position

    rows = models.Hold.select().where((models.Hold.bib == bib_id) & (models.Hold.status == "waiting"))
    return sorted(hold_position(h) for h in rows)


# --- reserving ------------------------------------------------------------------------------------


def test_reserve_puts_the_patron_in_the_queue_and_patron_show_lists_it(folk):
    phone, mail, third, actor = folk
    first = holds.reserve(phone, bib_of(SANSHIRO), "YAM", "phone", False, actor)
    second = holds.reserve(mail, bib_of(SANSHIRO), "kit", "counter", True, actor)
    assert (first["ok"], first["position"], first["contact"]) == (True, 1, "phone")
    assert (second["position"], second["contact"], second["pickup"]) == (2, "email", "KIT")
    listed = patron_summary(mail)["holds"]
    assert listed == [{
        "id": second["hold_id"], "bib_id": bib_of(SANSHIRO), "title": "三四郎", "status": "waiting",
        "position": 2, "pickup": "KIT", "deadline": None,
    }]
    # Reservation-received mail only when asked for (and only to an e-mail patron).
    received = models.Notice.select().where(models.Notice.kind == "hold-received")
    assert [(n.hold_id, n.to_addr) for n in received] == [(second["hold_id"], "hanako@example.jp")]
    assert "三四郎" in received[0].body and "2 番目" in received[0].body
    # A telephone patron asking for the mail gets none: there is no address.
    holds.reserve(third, bib_of(SANSHIRO), "OTA", "phone", True, actor)
    assert received.count() == 1
    event = models.AuditEvent.select().where(models.AuditEvent.action == "hold-reserve").first()
    # Who acted is kept; who reserved which title is not (the hold row holds that while open).
    assert event.staff_id == actor.staff_id and event.card == "" and "bib" not in event.detail


def test_contact_falls_back_to_phone_when_the_address_bounced(folk):
    _phone, mail, _third, actor = folk
    models.Patron.update(email_ok=False).where(models.Patron.card == mail).execute()
    assert holds.reserve(mail, bib_of(SANSHIRO), "KIT", "counter", True, actor)["contact"] == "phone"
    assert models.Notice.select().count() == 0


def test_every_refusal_reason_is_named(folk, monkeypatch):
    phone, mail, _third, actor = folk
    with pytest.raises(Refused) as e:
        holds.reserve(phone, bib_of(DVD), "KIT", "phone", False, actor)
    assert e.value.reasons == ["material-type"]
    with pytest.raises(Refused) as e:
        holds.reserve(phone, bib_of(NOT_OWNED), "KIT", "phone", False, actor)
    assert e.value.reasons == ["not-owned"]
    holds.reserve(phone, bib_of(SANSHIRO), "KIT", "phone", False, actor)
    with pytest.raises(Refused) as e:
        holds.reserve(phone, bib_of(SANSHIRO), "YAM", "phone", False, actor)
    assert e.value.reasons == ["already-reserved"]
    monkeypatch.setenv("LIBRARY_MAX_HOLDS", "1")
    with pytest.raises(Refused) as e:
        holds.reserve(phone, bib_of(YUKIGUNI_KIT), "KIT", "phone", False, actor)
    assert e.value.reasons == ["hold-limit"] and "1件" in e.value.message
    assert circulation.checkout(mail, [YUKIGUNI_KIT], "KIT", actor)[0]["ok"]
    with pytest.raises(Refused) as e:
        holds.reserve(mail, bib_of(YUKIGUNI_KIT), "NARA", "counter", False, actor)
    assert e.value.reasons == ["already-on-loan", "invalid-pickup"]
    with pytest.raises(InvalidInput) as e:
        holds.reserve(mail, "12x", "KIT", "counter", False, actor)
    assert e.value.reasons == ["invalid-bib"]
    with pytest.raises(Refused) as e:
        holds.reserve(mail, 99999, "KIT", "counter", False, actor)
    assert e.value.reasons == ["unknown-bib"]
    with pytest.raises(InvalidInput) as e:
        holds.reserve(mail, bib_of(SANSHIRO), "KIT", "fax", False, actor)
    assert e.value.reasons == ["invalid-via"]
    assert models.Hold.select().count() == 1  # nothing half-written


def test_series_volume_says_it_is_reserved_on_its_own(folk):
    phone, *_rest, actor = folk
    upper = models.Bib.get(models.Bib.title == "ノルウェイの森 上")
    result = holds.reserve(phone, upper.id, "KIT", "phone", False, actor)
    assert "別々に予約" in result["series_note"]
    assert holds.title_check(bib_of(SANSHIRO))["series_note"] is None
    assert holds.title_check(bib_of(DVD))["reservable"] is False


# --- the full life --------------------------------------------------------------------------------


def test_full_life_on_loan_at_kit_pickup_at_yam(folk, monkeypatch):
    phone, mail, third, actor = folk
    assert circulation.checkout(third, [SANSHIRO], "KIT", actor)[0]["ok"]
    h = holds.reserve(mail, bib_of(SANSHIRO), "YAM", "counter", False, actor)["hold_id"]
    assert holds.pull_list() == []  # the only copy is on loan
    # Renewal refused while someone waits.
    assert "reserved" in " ".join(circulation.renew(third, [SANSHIRO], "counter", actor)[0]["reasons"])

    back = circulation.checkin([SANSHIRO], "KIT", actor)[0]
    assert back["route"] == "transit:YAM"
    assert hold(h).status == "in-transit" and item(SANSHIRO).transit_to.code == "YAM"
    assert [r["barcode"] for r in holds.in_transit_to("YAM")] == [SANSHIRO]
    assert holds.in_transit_to("YAM")[0]["purpose"] == "hold"

    set_today(monkeypatch, "2026-12-04")
    arrived = circulation.checkin([SANSHIRO], "YAM", actor)[0]
    assert arrived["route"] == "hold-shelf"
    assert hold(h).status == "ready" and item(SANSHIRO).status == "on-hold-shelf"
    assert item(SANSHIRO).location.code == "YAM" and holds.in_transit_to("YAM") == []
    # The ready notice was queued in the same transaction; the deadline waits for the send.
    notice = models.Notice.get((models.Notice.hold == h) & (models.Notice.kind == "hold-ready"))
    assert notice.to_addr == "hanako@example.jp" and "三四郎" in notice.body and "山香図書室" in notice.body
    shelf = holds.hold_shelf("YAM")
    assert [(r["hold_id"], r["notice"], r["deadline"]) for r in shelf] == [(h, "queued", None)]
    assert holds.call_list() == []  # an e-mail patron is not telephoned

    refused = circulation.checkout(mail, [SANSHIRO], "YAM", actor)[0]
    assert refused["reasons"] == ["hold-not-notified"]
    assert circulation.checkout(phone, [SANSHIRO], "YAM", actor)[0]["reasons"] == ["held-for-another"]

    # Sent on Monday 7 Dec: + 7 = Monday 14 Dec; YAM is closed Mon and Tue → Wednesday 16 Dec.
    set_today(monkeypatch, "2026-12-07")
    assert holds.notice_sent(h, datetime(2026, 12, 7, 9, 30)) == date(2026, 12, 16)
    assert holds.notice_sent(h, datetime(2026, 12, 8, 9, 30)) == date(2026, 12, 16)  # idempotent
    assert patron_summary(mail)["holds"][0]["deadline"] == "2026-12-16"
    assert holds.hold_shelf("YAM")[0]["notice"] == "sent"

    # The copy waits on YAM's hold shelf: it is lent there, not at another point.
    elsewhere = circulation.checkout(mail, [SANSHIRO], "KIT", actor)[0]
    assert not elsewhere["ok"] and "held-at-other-point" in elsewhere["reasons"]
    assert item(SANSHIRO).location.code == "YAM" and item(SANSHIRO).status == "on-hold-shelf"
    lent = circulation.checkout(mail, [SANSHIRO], "YAM", actor)[0]
    assert lent["ok"]
    done = hold(h)
    assert done.status == "fulfilled" and done.patron_id is None  # no patron link once closed
    assert patron_summary(mail)["holds"] == []
    assert holds.hold_shelf("YAM") == []
    # Nor does the audit trail tie this patron to the reservation or the copy.
    for event in models.AuditEvent.select().where(models.AuditEvent.card == mail):
        assert SANSHIRO not in event.detail and f'"hold": {h}' not in event.detail, event.action


def test_daily_expires_after_the_deadline_and_gives_the_copy_to_the_next(folk, monkeypatch):
    phone, mail, third, actor = folk
    first = holds.reserve(mail, bib_of(SANSHIRO), "KIT", "counter", False, actor)["hold_id"]
    second = holds.reserve(third, bib_of(SANSHIRO), "OTA", "phone", False, actor)["hold_id"]
    assert holds.pull(SANSHIRO, "KIT", actor)["route"] == "hold-shelf"
    assert hold(first).status == "ready" and positions(bib_of(SANSHIRO)) == [1]
    deadline = holds.notice_sent(first, datetime(2026, 12, 3, 10, 0))
    assert deadline == date(2026, 12, 10)  # Thursday + 7, KIT open on Thursdays

    set_today(monkeypatch, deadline.isoformat())
    assert holds.daily()["count"] == 0  # the last day is still a pickup day
    set_today(monkeypatch, "2026-12-11")
    report = holds.daily()
    assert [(e["hold_id"], e["route"]) for e in report["expired"]] == [(first, "transit:OTA")]
    assert hold(first).status == "expired" and hold(first).patron_id is None
    assert hold(second).status == "in-transit" and item(SANSHIRO).transit_to.code == "OTA"
    assert holds.daily()["count"] == 0  # idempotent
    assert [(r["hold_id"], r["now"]) for r in holds.expired_today("KIT")] == [(first, f"hold:{second}")]
    assert models.Notice.select().where(models.Notice.kind == "hold-expired").count() == 1
    assert models.AuditEvent.select().where(models.AuditEvent.action == "hold-expire").count() == 1


def test_expired_copy_without_a_next_reservation_goes_home(folk, monkeypatch):
    phone, _mail, _third, actor = folk
    h = holds.reserve(phone, bib_of(SANSHIRO), "YAM", "phone", False, actor)["hold_id"]
    assert holds.pull(SANSHIRO, "KIT", actor)["route"] == "transit:YAM"
    assert circulation.checkin([SANSHIRO], "YAM", actor)[0]["route"] == "hold-shelf"
    assert [r["hold_id"] for r in holds.call_list("YAM")] == [h]
    # Not called yet: no deadline, nothing expires, the copy may not be lent.
    set_today(monkeypatch, "2026-12-30")
    assert holds.daily()["count"] == 0
    assert circulation.checkout(phone, [SANSHIRO], "YAM", actor)[0]["reasons"] == ["hold-not-notified"]
    set_today(monkeypatch, "2026-12-03")
    assert holds.mark_called(h, actor)["deadline"] == "2026-12-10"
    assert holds.call_list() == []
    set_today(monkeypatch, "2026-12-11")
    report = holds.daily()
    assert report["expired"][0]["route"] == "transit:KIT"
    assert item(SANSHIRO).status == "in-transit" and item(SANSHIRO).transit_to.code == "KIT"
    assert circulation.checkin([SANSHIRO], "KIT", actor)[0]["route"] == "shelf"


# --- two patrons, one copy ------------------------------------------------------------------------


def test_two_patrons_queued_for_one_copy(folk):
    phone, mail, third, actor = folk
    circulation.checkout(third, [SANSHIRO], "KIT", actor)
    a = holds.reserve(phone, bib_of(SANSHIRO), "KIT", "phone", False, actor)
    b = holds.reserve(mail, bib_of(SANSHIRO), "KIT", "counter", False, actor)
    assert (a["position"], b["position"]) == (1, 2)
    assert circulation.checkin([SANSHIRO], "KIT", actor)[0]["route"] == "hold-shelf"
    assert hold(a["hold_id"]).status == "ready" and hold(b["hold_id"]).status == "waiting"
    assert patron_summary(mail)["holds"][0]["position"] == 1
    holds.mark_called(a["hold_id"], actor)
    assert circulation.checkout(mail, [SANSHIRO], "KIT", actor)[0]["reasons"] == ["held-for-another"]
    assert circulation.checkout(phone, [SANSHIRO], "KIT", actor)[0]["ok"]
    # Back again: now it is the second patron's turn.
    assert circulation.checkin([SANSHIRO], "KIT", actor)[0]["route"] == "hold-shelf"
    assert hold(b["hold_id"]).status == "ready" and hold(b["hold_id"]).item.barcode == SANSHIRO


def test_pull_list_says_which_copy_from_where(folk):
    phone, mail, _third, actor = folk
    holds.reserve(phone, bib_of(YUKIGUNI_KIT), "OTA", "phone", False, actor)
    holds.reserve(mail, bib_of(YUKIGUNI_KIT), "KIT", "counter", False, actor)
    rows = holds.pull_list()
    # Each reservation takes the copy at its own pickup point: no transit needed.
    assert [(r["barcode"], r["at"], r["pickup"]) for r in rows] == [(YUKIGUNI_OTA, "OTA", "OTA"), (YUKIGUNI_KIT, "KIT", "KIT")]
    assert [r["barcode"] for r in holds.pull_list("KIT")] == [YUKIGUNI_KIT]
    with pytest.raises(Refused) as e:
        holds.pull(YUKIGUNI_OTA, "KIT", actor)
    assert e.value.reasons == ["not-here"]
    assert holds.pull(YUKIGUNI_OTA, "OTA", actor)["route"] == "hold-shelf"
    assert holds.pull(YUKIGUNI_KIT, "KIT", actor)["route"] == "hold-shelf"
    assert holds.pull_list() == []
    with pytest.raises(Refused) as e:
        holds.pull(YUKIGUNI_KIT, "KIT", actor)
    assert e.value.reasons == ["not-available"]


# --- cancel in every state ------------------------------------------------------------------------


def test_cancel_waiting_renumbers_the_queue(folk):
    phone, mail, third, actor = folk
    ids = [holds.reserve(c, bib_of(SANSHIRO), "KIT", "phone", False, actor)["hold_id"] for c in (phone, mail, third)]
    assert positions(bib_of(SANSHIRO)) == [1, 2, 3]
    result = holds.cancel_hold(ids[1], actor)
    assert result["was"] == "waiting" and result["route"] is None
    assert positions(bib_of(SANSHIRO)) == [1, 2]
    assert patron_summary(third)["holds"][0]["position"] == 2
    assert hold(ids[1]).status == "cancelled" and hold(ids[1]).patron_id is None


def test_cancel_in_transit_lets_the_copy_travel_and_routes_it_on_arrival(folk):
    phone, mail, _third, actor = folk
    h = holds.reserve(phone, bib_of(SANSHIRO), "YAM", "phone", False, actor)["hold_id"]
    holds.pull(SANSHIRO, "KIT", actor)
    assert holds.cancel_hold(h, actor)["route"] == "in-transit"
    nxt = holds.reserve(mail, bib_of(SANSHIRO), "OTA", "counter", False, actor)["hold_id"]
    # It arrives at YAM: the next reservation takes it on to OTA.
    assert circulation.checkin([SANSHIRO], "YAM", actor)[0]["route"] == "transit:OTA"
    assert hold(nxt).status == "in-transit"
    holds.cancel_hold(nxt, actor)
    assert circulation.checkin([SANSHIRO], "OTA", actor)[0]["route"] == "transit:KIT"  # home


def test_cancel_ready_gives_the_copy_to_the_next_or_the_shelf(folk):
    phone, mail, _third, actor = folk
    a = holds.reserve(phone, bib_of(SANSHIRO), "KIT", "phone", False, actor)["hold_id"]
    b = holds.reserve(mail, bib_of(SANSHIRO), "KIT", "counter", False, actor)["hold_id"]
    holds.pull(SANSHIRO, "KIT", actor)
    holds.mark_called(a, actor)
    result = holds.cancel_hold(a, actor)
    assert (result["was"], result["route"], result["barcode"]) == ("ready", "hold-shelf", SANSHIRO)
    assert hold(b).status == "ready" and hold(b).deadline is None  # a new notice, a new week
    assert models.Notice.select().where((models.Notice.hold == b) & (models.Notice.kind == "hold-ready")).count() == 1
    assert holds.cancel_hold(b, actor)["route"] == "shelf"
    assert item(SANSHIRO).status == "available"
    with pytest.raises(Refused) as e:
        holds.cancel_hold(b, actor)
    assert e.value.reasons == ["hold-closed"]
    with pytest.raises(Refused) as e:
        holds.cancel_hold(9999, actor)
    assert e.value.reasons == ["unknown-hold"]
    with pytest.raises(InvalidInput):
        holds.cancel_hold("abc", actor)


def test_borrowing_another_copy_fulfils_the_reservation_and_frees_the_set_aside_copy(folk):
    phone, mail, _third, actor = folk
    h = holds.reserve(phone, bib_of(YUKIGUNI_KIT), "OTA", "phone", False, actor)["hold_id"]
    holds.pull(YUKIGUNI_OTA, "OTA", actor)
    assert hold(h).status == "ready"
    # The patron walks into KIT and borrows the copy there instead.
    assert circulation.checkout(phone, [YUKIGUNI_KIT], "KIT", actor)[0]["ok"]
    assert hold(h).status == "fulfilled"
    # The set-aside copy belongs to OTA and is there: back on the shelf for others.
    assert item(YUKIGUNI_OTA).status == "available" and item(YUKIGUNI_OTA).location.code == "OTA"
    assert holds.hold_shelf("OTA") == []


# --- command line ---------------------------------------------------------------------------------


def run_cli(capsys, db_url, *argv) -> tuple[int, dict]:
    code = main([*argv, "--db", db_url, "--json"])
    out = capsys.readouterr().out.strip().splitlines()
    return code, json.loads(out[-1]) if out else {}


def test_cli_reserve_cancel_daily(folk, db_url, capsys):
    phone, mail, _third, _actor = folk
    code, out = run_cli(capsys, db_url, "reserve", phone, str(bib_of(SANSHIRO)), "--pickup", "YAM", "--via", "phone")
    assert code == 0 and set(out) >= {"ok", "hold_id", "position"} and out["position"] == 1
    code, out2 = run_cli(capsys, db_url, "reserve", mail, str(bib_of(SANSHIRO)), "--pickup", "OTA", "--mail", "yes", "--via", "counter")
    assert code == 0 and out2["position"] == 2 and out2["want_mail"] is True
    code, bad = run_cli(capsys, db_url, "reserve", mail, str(bib_of(DVD)), "--pickup", "TOKYO", "--via", "counter")
    assert code == 3 and bad["ok"] is False and bad["reasons"] == ["material-type", "invalid-pickup"]
    code, bad = run_cli(capsys, db_url, "reserve", mail, str(bib_of(SANSHIRO)), "--pickup", "KIT", "--mail", "maybe", "--via", "counter")
    assert code == 3 and bad["reasons"] == ["invalid-mail"]
    code, out = run_cli(capsys, db_url, "cancel-hold", str(out["hold_id"]))
    assert code == 0 and out["ok"] and out["status"] == "cancelled"
    code, out = run_cli(capsys, db_url, "cancel-hold", "12345")
    assert code == 3 and out["reasons"] == ["unknown-hold"]
    code, out = run_cli(capsys, db_url, "daily")
    assert code == 0 and out == {"ok": True, "date": "2026-12-03", "expired": [], "count": 0, "password_slips_deleted": 0}
    code, out = run_cli(capsys, db_url, "patron", "show", mail)
    assert out["holds"][0]["position"] == 1 and out["holds"][0]["pickup"] == "OTA"
    code, out = run_cli(capsys, db_url, "holds-list", "--at", "OTA")
    assert code == 0 and [r["barcode"] for r in out["pull"]] == [SANSHIRO]
    code, out = run_cli(capsys, db_url, "pull", SANSHIRO, "--at", "KIT")
    assert code == 0 and out["route"] == "transit:OTA"
    code, out = run_cli(capsys, db_url, "hold-called", str(out2["hold_id"]))
    assert code == 3 and out["reasons"] == ["hold-not-ready"]


def test_title_check_with_a_card_says_why_this_patron_cannot_reserve(folk):
    phone, mail, _third, actor = folk
    assert holds.title_check(bib_of(SANSHIRO), phone)["reservable"] is True
    holds.reserve(phone, bib_of(SANSHIRO), "YAM", "phone", False, actor)
    check = holds.title_check(bib_of(SANSHIRO), phone)
    assert check["reservable"] is False and check["reasons"] == ["already-reserved"]
    assert "すでに予約" in check["message"]
    assert holds.title_check(bib_of(SANSHIRO), mail)["reservable"] is True
    assert holds.title_check(bib_of(SANSHIRO))["waiting"] == 1

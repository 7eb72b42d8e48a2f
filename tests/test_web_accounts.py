"""WEB service registration services: register, reissue, unlock, hashing, audit, slip."""

from __future__ import annotations

import json
import os
import stat
from datetime import date, datetime
from pathlib import Path

import pytest

import models
from counter_app.services import InvalidInput, Refused, patrons, staff, web_accounts
from policies import passwords
from tests.helpers_webreg import FIXED_PASSWORD, add, db_bytes, desk_actor

EXPECTED = Path(__file__).parent / "expected"


def audits(action: str | None = None) -> list[models.AuditEvent]:
    q = models.AuditEvent.select().order_by(models.AuditEvent.id)
    return [a for a in q if action is None or a.action == action]


def test_register_issues_a_temporary_password_hashed_with_argon2id(db, desk):
    p = add()
    issued = web_accounts.register(" １０００-００１ ", "license", desk_actor(desk))
    assert issued.card == p.card == "1000001"
    assert issued.expires == date(2027, 3, 3)  # 90 days from 2026-12-03
    acc = models.WebAccount.get(models.WebAccount.patron == p.id)
    assert acc.password_hash.startswith("$argon2id$")
    assert issued.temporary_password not in acc.password_hash
    assert staff.verify_password(acc.password_hash, issued.temporary_password)
    assert acc.temporary and not acc.locked
    assert acc.id_type == "license" and acc.id_checked_by_id == desk.id
    assert acc.id_checked_at.date() == date(2026, 12, 3)
    assert patrons.web_status(p)["status"] == "temporary"
    assert patrons.web_status(p)["expires"] == "2027-03-03"
    assert FIXED_PASSWORD not in repr(issued) and issued.temporary_password not in repr(issued)


def test_password_is_nowhere_in_the_database_files(db, db_url, desk):
    add()
    issued = web_accounts.register("1000001", "insurance", desk_actor(desk))
    again = web_accounts.register("1000001", "license", desk_actor(desk), reissue=True)
    raw = db_bytes(db_url)
    assert b"$argon2id$" in raw  # the hash is there: the files were really read
    for pw in (issued.temporary_password, again.temporary_password):
        for form in (pw, passwords.grouped(pw)):
            assert form.encode() not in raw
            assert form.encode("utf-16-le") not in raw


def test_expiry_follows_the_setting(db, desk, monkeypatch):
    monkeypatch.setenv("LIBRARY_TEMP_PASSWORD_DAYS", "30")
    add()
    assert web_accounts.register("1000001", "other", desk_actor(desk)).expires == date(2027, 1, 2)


def test_reissue_replaces_the_password_and_ends_sessions(db, desk):
    p = add()
    first = web_accounts.register("1000001", "license", desk_actor(desk))
    acc = models.WebAccount.get(models.WebAccount.patron == p.id)
    models.WebAccount.update(temporary=False, locked=True, failed_logins=5).execute()
    token = models.ResetToken.create(account=acc, token_hash="x" * 64, expires_at=datetime(2026, 12, 4))
    epoch = acc.session_epoch
    second = web_accounts.register("1000001", "student", desk_actor(desk), reissue=True)
    acc = models.WebAccount.get_by_id(acc.id)
    assert second.temporary_password != first.temporary_password
    assert not staff.verify_password(acc.password_hash, first.temporary_password)
    assert staff.verify_password(acc.password_hash, second.temporary_password)
    assert acc.session_epoch == epoch + 1
    assert acc.temporary and not acc.locked and acc.failed_logins == 0
    assert acc.id_type == "student"
    assert models.ResetToken.get_by_id(token.id).used_at is not None
    assert models.WebAccount.select().count() == 1


def test_second_registration_is_refused_and_changes_nothing(db, desk):
    add()
    web_accounts.register("1000001", "license", desk_actor(desk))
    before = models.WebAccount.get().password_hash
    with pytest.raises(Refused) as e:
        web_accounts.register("1000001", "license", desk_actor(desk))
    assert e.value.reasons == ["already-registered"] and "再発行" in e.value.message
    assert models.WebAccount.get().password_hash == before


def test_reissue_without_registration_is_refused(db, desk):
    add()
    with pytest.raises(Refused) as e:
        web_accounts.register("1000001", "license", desk_actor(desk), reissue=True)
    assert e.value.reason == "not-registered"
    assert models.WebAccount.select().count() == 0


def test_under_age_is_refused_with_the_eligible_date(db, desk):
    add(name="大田 さくら", birth=date(2014, 4, 2))  # eligible 2027-04-01
    with pytest.raises(Refused) as e:
        web_accounts.register("1000001", "student", desk_actor(desk))
    assert e.value.reasons == ["under-age"]
    assert "2027年4月1日" in e.value.message
    assert e.value.as_json()["eligible_from"] == "2027-04-01"
    assert models.WebAccount.select().count() == 0
    assert audits("web-register") == []


def test_age_rule_on_the_day_before_and_on_1_april(db, desk, monkeypatch):
    add(name="早生 まれ", birth=date(2014, 4, 1))  # eligible 2026-04-01
    add(name="遅生 まれ", birth=date(2014, 4, 2))  # eligible 2027-04-01
    monkeypatch.setenv("LIBRARY_TODAY", "2026-03-31")
    for card in ("1000001", "1000002"):
        with pytest.raises(Refused):
            web_accounts.register(card, "student", desk_actor(desk))
    monkeypatch.setenv("LIBRARY_TODAY", "2026-04-01")
    web_accounts.register("1000001", "student", desk_actor(desk))
    with pytest.raises(Refused) as e:
        web_accounts.register("1000002", "student", desk_actor(desk))
    assert "2027年4月1日" in e.value.message


@pytest.mark.parametrize("raw, reason", [
    ("1234567", "unknown-card"), ("100000", "invalid-card"), ("10000011", "invalid-card"),
    ("10000a1", "invalid-card"), ("", "empty-card"), ("1000-0000-0001", "invalid-card"),
])
def test_bad_cards_are_refused(db, desk, raw, reason):
    add()
    with pytest.raises((Refused, InvalidInput)) as e:
        web_accounts.register(raw, "license", desk_actor(desk))
    assert e.value.reason == reason
    assert models.WebAccount.select().count() == 0


def test_unknown_id_type_is_refused(db, desk):
    add()
    with pytest.raises(InvalidInput) as e:
        web_accounts.register("1000001", "passport", desk_actor(desk))
    assert e.value.reason == "invalid-id-type"


def test_unlock(db, desk):
    add()
    web_accounts.register("1000001", "license", desk_actor(desk))
    with pytest.raises(Refused) as e:
        web_accounts.unlock("1000001", desk_actor(desk))
    assert e.value.reason == "not-locked"
    models.WebAccount.update(locked=True, failed_logins=5).execute()
    assert web_accounts.status("1000001")["status"] == "locked"
    assert web_accounts.unlock("1000001", desk_actor(desk))["status"] == "temporary"
    assert models.WebAccount.get().failed_logins == 0


def test_every_action_is_audited_without_the_password(db, desk):
    add()
    a = web_accounts.register("1000001", "mynumber", desk_actor(desk))
    models.WebAccount.update(locked=True).execute()
    web_accounts.unlock("1000001", desk_actor(desk))
    b = web_accounts.register("1000001", "license", desk_actor(desk), reissue=True)
    events = [e for e in audits() if e.action.startswith("web-")]
    assert [e.action for e in events] == ["web-register", "web-unlock", "web-reissue"]
    for e in events:
        assert e.card == "1000001" and e.staff_id == desk.id and e.channel == "counter" and e.at
    assert json.loads(events[0].detail) == {"id_type": "mynumber"}
    assert json.loads(events[2].detail) == {"id_type": "license"}
    everything = " ".join(f"{e.action} {e.detail}" for e in audits())
    assert a.temporary_password not in everything and b.temporary_password not in everything


# --- new patrons ------------------------------------------------------------------------------


def test_new_patron_gets_the_next_card_never_reused(db, desk):
    assert add().card == "1000001"
    assert add(name="山香 太郎", birth=date(1972, 11, 3), card="１２３４ ５６７").card == "1234567"
    assert add(name="大田 さくら", birth=date(2013, 4, 2)).card == "1234568"
    with pytest.raises(Refused) as e:
        add(name="別人", birth=date(1990, 1, 1), card="1000001")
    assert e.value.reason == "card-in-use"


def test_same_name_and_birth_date_needs_confirmation(db, desk):
    add()
    with pytest.raises(Refused) as e:
        add(name="杵築　花子")  # full-width space: the same name
    assert e.value.reason == "possible-duplicate" and e.value.extra["cards"] == ["1000001"]
    assert models.Patron.select().count() == 1
    assert add(name="杵築花子", confirm_duplicate=True).card == "1000002"
    assert add(name="杵築 花子", birth=date(1985, 6, 13)).card == "1000003"  # another birthday: fine


@pytest.mark.parametrize("kw, reason", [
    ({"name": ""}, "empty-name"),
    ({"name": "　 "}, "empty-name"),
    ({"birth": date(2026, 12, 4)}, "birth-in-future"),
    ({"birth": date(1899, 12, 31)}, "birth-too-early"),
    ({"birth": None}, "invalid-birth-date"),
    ({"kana": "hanako"}, "invalid-kana"),
    ({"phone": "電話"}, "invalid-phone"),
    ({"email": "hanako@"}, "invalid-email"),
    ({"card": "123456"}, "invalid-card"),
])
def test_bad_patron_details_change_nothing(db, desk, kw, reason):
    before = (models.Patron.select().count(), models.AuditEvent.select().count())
    with pytest.raises((InvalidInput, Refused)) as e:
        add(**kw)
    assert reason in e.value.reasons
    assert (models.Patron.select().count(), models.AuditEvent.select().count()) == before


def test_new_patron_details_are_cleaned(db, desk):
    p = add(name=" 杵築　花子 ", kana="きつき はなこ", phone="０９７８－６２－０００１", email=" Hanako@Example.jp ")
    # the e-mail rule's normal form, as set-email stores it (domain in lower case)
    assert (p.name, p.kana, p.phone, p.email) == ("杵築 花子", "キツキ ハナコ", "0978-62-0001", "Hanako@example.jp")
    assert p.kana_key == "キツキハナコ"
    assert p.created_by_id is None


# --- no identity-document number can be stored ------------------------------------------------

ID_FORMS = ["123456789012", "1234 5678 9012", "1234-5678-9012", "１２３４５６７８９０１２", "１２３４　５６７８　９０１２"]


@pytest.mark.parametrize("form", ID_FORMS)
@pytest.mark.parametrize("field", ["name", "kana", "phone", "email", "card"])
def test_no_field_of_a_new_patron_takes_an_id_number(db, db_url, desk, tmp_path, field, form):
    value = f"番号{form}" if field == "name" else (f"x{form}@example.jp" if field == "email" else form)
    with pytest.raises(InvalidInput) as e:
        add(**{field: value})
    assert e.value.reason in ("looks-like-id-number", "invalid-card")
    assert form not in e.value.message and "123456789012" not in e.value.message
    assert models.Patron.select().count() == 0
    models.close_database()
    assert b"123456789012" not in db_bytes(db_url)
    assert b"5678" not in db_bytes(db_url)


@pytest.mark.parametrize("form", ID_FORMS)
def test_web_register_takes_no_id_number(db, db_url, desk, form):
    add()
    for card, id_type in ((form, "mynumber"), ("1000001", form), ("1000001", f"mynumber {form}")):
        with pytest.raises(InvalidInput) as e:
            web_accounts.register(card, id_type, desk_actor(desk))
        assert "123456789012" not in e.value.message
    assert models.WebAccount.select().count() == 0
    models.close_database()
    assert b"123456789012" not in db_bytes(db_url)


def test_web_account_model_has_no_place_for_a_document_number():
    names = set(models.WebAccount._meta.fields) | set(models.Patron._meta.fields)
    assert not {n for n in names if "number" in n or "doc" in n or n in ("id_no", "id_value", "mynumber")}


# --- the slip ---------------------------------------------------------------------------------


def test_password_slip_matches_the_expected_text(db, desk, monkeypatch):
    assert set(FIXED_PASSWORD) <= set(passwords.ALPHABET)
    monkeypatch.setattr(passwords, "generate", lambda length=12: FIXED_PASSWORD)
    add()
    issued = web_accounts.register("1000001", "license", desk_actor(desk))
    assert issued.temporary_password == FIXED_PASSWORD
    text = web_accounts.slip_text(issued.card, issued.temporary_password, issued.expires)
    expected = (EXPECTED / "web_password_slip.txt").read_text(encoding="utf-8")
    assert text == expected
    assert all(web_accounts.slips.display_width(line) <= web_accounts.slips.WIDTH for line in text.splitlines())


def test_slip_is_spooled_owner_only_when_no_printer(db, desk, tmp_path):
    add()
    issued = web_accounts.register("1000001", "license", desk_actor(desk))
    result = web_accounts.print_password_slip(issued)
    assert not result.printed and result.path.parent == tmp_path / "spool"
    text = result.path.read_text(encoding="utf-8")
    assert " ".join(issued.temporary_password[:4]) in text
    assert "初回ログイン後に変更してください" in text and "1000001" in text and "2027年3月3日" in text
    assert stat.S_IMODE(os.stat(result.path).st_mode) == 0o600


def test_slip_goes_to_the_print_command(db, desk, tmp_path, monkeypatch):
    out = tmp_path / "printed.txt"
    monkeypatch.setenv("LIBRARY_PRINT_COMMAND", f"tee {out}")
    add()
    issued = web_accounts.register("1000001", "license", desk_actor(desk))
    assert web_accounts.print_password_slip(issued).printed
    assert "仮パスワード" in out.read_text(encoding="utf-8")
    assert not (tmp_path / "spool").exists() or not list((tmp_path / "spool").iterdir())


@pytest.mark.parametrize("channel", ["web", "phone", "kiosk"])
def test_registration_is_at_the_counter_only(db, desk, channel):
    from counter_app.services import Actor

    add()
    for reissue in (False, True):
        with pytest.raises(Refused) as e:
            web_accounts.register("1000001", "license", Actor(desk.id, channel), reissue=reissue)
        assert e.value.reason == "in-person-only"
    assert models.WebAccount.select().count() == 0

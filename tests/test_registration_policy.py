"""The school-year age rule, the ID-number guard and temporary passwords (pure policies)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, strategies as st

from policies import passwords, registration
from policies.idnumber import looks_like_id_number
from policies.registration import check_age, eligible_from


@pytest.mark.parametrize(
    "birth, eligible",
    [
        (date(2013, 4, 2), date(2026, 4, 1)),  # domain.md's own examples
        (date(2013, 4, 1), date(2025, 4, 1)),  # 早生まれ: one school year ahead
        (date(2013, 3, 31), date(2025, 4, 1)),
        (date(2013, 4, 3), date(2026, 4, 1)),
        (date(2012, 4, 2), date(2025, 4, 1)),
        (date(2014, 1, 1), date(2026, 4, 1)),
        (date(2013, 12, 31), date(2026, 4, 1)),
        (date(2012, 2, 29), date(2024, 4, 1)),  # leap day: reaches 12 at the end of 2024-02-28
        (date(2012, 3, 1), date(2024, 4, 1)),  # day before birth is 29 Feb
        (date(2088, 2, 29), date(2100, 4, 1)),  # 2100 has no 29 Feb
        (date(2088, 3, 1), date(2100, 4, 1)),
    ],
)
def test_eligible_from_follows_the_school_year(birth, eligible):
    assert eligible_from(birth) == eligible


@pytest.mark.parametrize("birth", [date(2013, 4, 2), date(2013, 4, 1), date(2012, 2, 29), date(2009, 7, 7)])
def test_refused_the_day_before_1_april_and_accepted_on_it(birth):
    start = eligible_from(birth)
    assert start.month == 4 and start.day == 1
    before = check_age(birth, start - timedelta(days=1))
    assert not before.ok and before.reason == "under-age"
    assert f"{start.year}年4月1日" in before.message
    assert check_age(birth, start).ok
    assert check_age(birth, start + timedelta(days=400)).ok


def test_april_1_and_april_2_births_one_school_year_apart():
    on_2025_04_01 = date(2025, 4, 1)
    assert check_age(date(2013, 4, 1), on_2025_04_01).ok
    assert not check_age(date(2013, 4, 2), on_2025_04_01).ok
    assert check_age(date(2013, 4, 2), date(2026, 4, 1)).ok
    assert not check_age(date(2013, 4, 2), date(2026, 3, 31)).ok


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2090, 12, 31)))
def test_eligible_at_12_or_13_in_the_april_after_reaching_12(birth):
    start = eligible_from(birth)
    assert (start.month, start.day) == (4, 1)
    # the person is 12 on that day (age counted the Japanese way) and was not yet 12 a year before
    reached = registration.age_reached_on(birth, 12)
    assert reached < start <= reached + timedelta(days=366)


@pytest.mark.parametrize(
    "text",
    [
        "123456789012",
        "1234 5678 9012",
        "1234-5678-9012",
        "１２３４５６７８９０１２",
        "１２３４－５６７８－９０１２",
        "1234　5678　9012",
        "番号は123456789012です",
        "1234567890123",
        "a1234.5678.9012@example.jp",
    ],
)
def test_twelve_digits_look_like_an_id_number(text):
    assert looks_like_id_number(text)


@pytest.mark.parametrize(
    "text",
    ["0978-62-0001", "090-1234-5678", "09012345678", "杵築 花子", "", None, "2013-04-02", "12345678901",
     "0978-62-0001、090-1234-5678"],
)
def test_phone_numbers_and_names_are_not_id_numbers(text):
    assert not looks_like_id_number(text)


def test_new_patron_problems_have_codes():
    today = date(2026, 12, 3)
    codes = lambda **kw: [p.reason for p in registration.check_new_patron(**{
        "name": "杵築 花子", "kana": "キツキ ハナコ", "birth": date(1985, 6, 12), "phone": "", "email": "", "today": today, **kw})]
    assert codes() == []
    assert codes(name="  ") == ["empty-name"]
    assert codes(birth=date(2026, 12, 4)) == ["birth-in-future"]
    assert codes(birth=date(1899, 12, 31)) == ["birth-too-early"]
    assert codes(birth=None) == ["invalid-birth-date"]
    assert codes(kana="kitsuki") == ["invalid-kana"]
    assert codes(kana="", kana_required=True) == ["empty-kana"]
    assert codes(phone="abc") == ["invalid-phone"]
    assert codes(email="no-at-sign") == ["invalid-email"]
    for field in ("name", "kana", "phone", "email"):
        assert codes(**{field: "1234 5678 9012"}) == ["looks-like-id-number"]


def test_kana_is_stored_as_full_width_katakana():
    assert registration.clean_kana("きつき　はなこ") == "キツキ ハナコ"
    assert registration.clean_kana("ｷﾂｷ ﾊﾅｺ") == "キツキ ハナコ"


@pytest.mark.parametrize("typed, expected", [
    ("2013-04-02", date(2013, 4, 2)), ("2013/4/2", date(2013, 4, 2)), ("20130402", date(2013, 4, 2)),
    ("２０１３－０４－０２", date(2013, 4, 2)), ("2013-02-30", None), ("昭和", None), ("", None),
])
def test_parse_birth(typed, expected):
    assert registration.parse_birth(typed) == expected


def test_temporary_password_alphabet_and_length():
    for _ in range(300):
        pw = passwords.generate()
        assert len(pw) >= 12
        assert set(pw) <= set(passwords.ALPHABET)
        assert not set(pw) & set("0Oo1lIi")
        assert any(c.isupper() for c in pw) and any(c.islower() for c in pw) and any(c.isdigit() for c in pw)
    assert len(passwords.generate(16)) == 16
    assert len(passwords.generate(4)) == 12  # never shorter than 12


def test_alphabet_has_no_look_alikes():
    assert not set(passwords.ALPHABET) & set(passwords.LOOK_ALIKES)
    assert len(set(passwords.ALPHABET)) == len(passwords.ALPHABET) >= 36


def test_temporary_passwords_are_unique():
    made = {passwords.generate() for _ in range(2000)}
    assert len(made) == 2000


def test_grouped_display_round_trips():
    pw = "AbC3dEf4gHj6"
    assert passwords.grouped(pw) == "AbC3 dEf4 gHj6"
    assert passwords.ungroup(passwords.grouped(pw)) == pw
    assert passwords.ungroup("AbC3-dEf4-gHj6") == pw

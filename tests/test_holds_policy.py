"""The reservation rule as a table, the series-volume note, the pickup deadline."""

from __future__ import annotations

from datetime import date

import pytest

from policies.calendar import Calendar
from policies.holds import (
    ReserveFacts,
    check_reserve,
    pickup_deadline,
    series_note,
    title_reasons,
    volume_of,
)

BASE = dict(material_type="book", owned_copies=2, open_holds=0, max_holds=10, already_reserved=False, on_loan=False, pickup="KIT")


@pytest.mark.parametrize(
    "change, reasons",
    [
        ({}, []),
        ({"material_type": "magazine"}, []),
        ({"pickup": " yam "}, []),
        ({"material_type": "dvd"}, ["material-type"]),
        ({"material_type": "cd"}, ["material-type"]),
        ({"owned_copies": 0}, ["not-owned"]),
        ({"open_holds": 10}, ["hold-limit"]),
        ({"open_holds": 9}, []),
        ({"already_reserved": True, "open_holds": 3}, ["already-reserved"]),
        ({"on_loan": True}, ["already-on-loan"]),
        ({"pickup": "TOKYO"}, ["invalid-pickup"]),
        ({"pickup": ""}, ["invalid-pickup"]),
        (
            {"material_type": "dvd", "open_holds": 10, "on_loan": True, "pickup": "X"},
            ["material-type", "hold-limit", "already-on-loan", "invalid-pickup"],
        ),
    ],
)
def test_reservable_table(change, reasons):
    result = check_reserve(ReserveFacts(**{**BASE, **change}))
    assert result.reasons == reasons
    assert result.ok is (not reasons)
    assert len(result.messages) == len(reasons)
    if "hold-limit" in reasons:
        assert "10件" in result.message
    if "material-type" in reasons:
        assert "DVD" in result.message


def test_title_reasons_need_no_patron():
    assert title_reasons("dvd", 3) == ["material-type"]
    assert title_reasons("book", 0) == ["not-owned"]
    assert title_reasons("magazine", 1) == []


@pytest.mark.parametrize(
    "title, expected",
    [
        ("ノルウェイの森 上", ("ノルウェイの森", "上")),
        ("竜馬がゆく 3", ("竜馬がゆく", "3")),
        ("ソロモンの偽証 第II部 決意", ("ソロモンの偽証", "第II部")),
        ("1Q84 BOOK1", ("1Q84", "BOOK1")),
        ("こころ", None),
        ("広辞苑 第七版", None),
        ("はじめての確定申告 2026年版", None),
        ("The Very Hungry Caterpillar", None),
    ],
)
def test_volume_of_reads_trailing_volume_marks(title, expected):
    assert volume_of(title) == expected


def test_catalogued_series_wins_and_note_only_with_other_volumes():
    assert volume_of("任意の書名", "シリーズ名", "2") == ("シリーズ名", "2")
    assert series_note("上", 0) is None
    note = series_note("上", 1)
    assert "別々に予約" in note and "上" in note


def test_pickup_deadline_is_a_week_after_the_notice_moved_past_closed_days():
    open_every_day = Calendar(frozenset(), {}, None, None)
    assert pickup_deadline(open_every_day, date(2026, 12, 3), 7) == date(2026, 12, 10)
    mon_tue_closed = Calendar(frozenset({1, 2}), {}, None, None)
    # Sent Monday 7 Dec: a week later is Monday 14 Dec, closed with Tuesday → Wednesday 16 Dec.
    assert pickup_deadline(mon_tue_closed, date(2026, 12, 7), 7) == date(2026, 12, 16)
    with_holiday = Calendar(frozenset(), {date(2026, 12, 10): "臨時休館"}, None, None)
    assert pickup_deadline(with_holiday, date(2026, 12, 3), 7) == date(2026, 12, 11)
    year_end = Calendar(frozenset(), {}, (12, 29), (1, 3))
    assert pickup_deadline(year_end, date(2026, 12, 24), 7) == date(2027, 1, 4)

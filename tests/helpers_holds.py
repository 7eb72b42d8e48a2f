"""Fixtures and helpers for the reservation tests (import the fixtures by name)."""

from __future__ import annotations

from datetime import date

import pytest

import models
from counter_app.services import Actor, patrons

# 三四郎: one copy, home KIT.
SANSHIRO = "1000000009"
# 雪国: copies at KIT (1000000026) and OTA (1000000027).
YUKIGUNI_KIT, YUKIGUNI_OTA = "1000000026", "1000000027"
NOT_OWNED = "1000000041"  # Kafka on the Shore, borrowed from another library
DVD = "1000000224"


@pytest.fixture
def folk(sample, desk):
    """Patrons: a telephone-contact one, an e-mail one, a third (telephone) one; the desk."""
    phone = patrons.add_patron("山香 太郎", "ヤマガ タロウ", date(1972, 11, 3), "0977-75-0002", card="1000002")
    mail = patrons.add_patron("杵築 花子", "キツキ ハナコ", date(1985, 6, 12), "0978-62-0001", "hanako@example.jp", card="1000001")
    third = patrons.add_patron("大田 一郎", "オオタ イチロウ", date(1990, 1, 5), "0978-52-0003", card="1000003")
    return phone.card, mail.card, third.card, Actor(desk.id, "counter", desk.name)


def item(barcode: str) -> models.Item:
    return models.Item.get(models.Item.barcode == barcode)


def bib_of(barcode: str) -> int:
    return item(barcode).bib_id


def hold(hold_id: int) -> models.Hold:
    return models.Hold.get_by_id(hold_id)


def set_today(monkeypatch, day: str) -> None:
    monkeypatch.setenv("LIBRARY_TODAY", day)

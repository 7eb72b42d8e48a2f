"""Fixtures and helpers shared by the circulation tests (import the fixtures by name)."""

from __future__ import annotations

from datetime import date

import pytest

import models
from counter_app.services import Actor, patrons

BOOK_KIT = "1000000001"  # こころ, home KIT (copies at YAM 1000000002 and OTA 1000000003)
BOOK_KIT_2 = "1000000004"  # 吾輩は猫である, KIT
BOOK_YAM = "1000000002"
NOT_OWNED = "1000000041"  # Kafka on the Shore, borrowed from another library
MAGAZINE = "1000000216"
DVDS = ["1000000224", "1000000227", "1000000229", "1000000230"]
CD = "1000000232"


@pytest.fixture
def people(sample, desk):
    """Two patrons and the desk actor."""
    a = patrons.add_patron("杵築 花子", "キツキ ハナコ", date(1985, 6, 12), "0978-62-0001", card="1000001")
    b = patrons.add_patron("山香 太郎", "ヤマガ タロウ", date(1972, 11, 3), "0977-75-0002", card="1000002")
    return a.card, b.card, Actor(desk.id, "counter", desk.name)


def set_today(monkeypatch, day: str) -> None:
    monkeypatch.setenv("LIBRARY_TODAY", day)


def item(barcode: str) -> models.Item:
    return models.Item.get(models.Item.barcode == barcode)


def reserve(card: str, barcode: str) -> models.Hold:
    """Someone waits for the title of ``barcode`` (a bare waiting hold)."""
    patron = models.Patron.get(models.Patron.card == card)
    it = item(barcode)
    return models.Hold.create(patron=patron.id, bib=it.bib_id, pickup=it.home_id, status="waiting")

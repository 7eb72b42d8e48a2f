"""利用者の秘密を守る: once a reserved book has been picked up and returned, nothing in the
database ties the patron to the title or the copy (domain.md, Privacy)."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import models
from counter_app.services import circulation, holds
from tests.helpers_holds import SANSHIRO, bib_of, folk, set_today  # noqa: F401  (fixture)


def rows_mentioning(db_path, needle: str) -> list[tuple[str, tuple]]:
    """Every row of every table whose text contains ``needle``."""
    found = []
    with sqlite3.connect(db_path) as raw:
        tables = [r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            if table.startswith("bib_fts"):
                continue
            for row in raw.execute(f'SELECT * FROM "{table}"'):
                if needle in " ".join(str(v) for v in row):
                    found.append((table, row))
    return found


def test_no_patron_title_link_survives_pickup_and_return(folk, monkeypatch, db_url):
    phone, mail, third, actor = folk
    patron = models.Patron.get(models.Patron.card == mail)
    title_bib = bib_of(SANSHIRO)
    assert circulation.checkout(third, [SANSHIRO], "KIT", actor)[0]["ok"]
    h = holds.reserve(mail, title_bib, "YAM", "counter", True, actor)["hold_id"]
    assert circulation.checkin([SANSHIRO], "KIT", actor)[0]["route"] == "transit:YAM"
    set_today(monkeypatch, "2026-12-04")
    assert circulation.checkin([SANSHIRO], "YAM", actor)[0]["route"] == "hold-shelf"
    holds.notice_sent(h, datetime(2026, 12, 4, 10, 0))
    assert circulation.checkout(mail, [SANSHIRO], "YAM", actor)[0]["ok"]
    set_today(monkeypatch, "2026-12-10")
    assert circulation.checkin([SANSHIRO], "YAM", actor)[0]["ok"]
    models.close_database()

    path = db_url.removeprefix("sqlite:///")
    item_id = str(models.Item.get(models.Item.barcode == SANSHIRO).id)
    for table, row in rows_mentioning(path, mail):
        text = " ".join(str(v) for v in row)
        assert SANSHIRO not in text and "三四郎" not in text, (table, row)
    # The unsent ready mail was dropped at pickup; the only mail naming the title is the
    # reservation-received mail the patron asked for, still waiting to be delivered.
    assert not models.Notice.select().where((models.Notice.hold == h) & (models.Notice.kind == "hold-ready")).exists()
    naming = [(t, r) for t, r in rows_mentioning(path, "三四郎") if t != "bib"]
    assert [models.Notice.get_by_id(r[0]).kind for t, r in naming] == ["hold-received"], naming
    # The fulfilled hold keeps its title (statistics) but neither patron nor copy.
    closed = models.Hold.get_by_id(h)
    assert closed.status == "fulfilled" and closed.patron_id is None and closed.item_id is None
    assert closed.closed_at.time() == datetime.min.time()
    assert not models.Loan.select().where(models.Loan.item == int(item_id)).exists()

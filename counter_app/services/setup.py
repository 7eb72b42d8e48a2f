"""Creating, upgrading and seeding a database; building the demo database."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import models
from counter_app.config import data_dir
from counter_app.services import points


def init_database(url: str) -> dict:
    """Open ``url``, create or upgrade the schema, seed service points and holidays.
    Idempotent: running it twice changes nothing the second time."""
    models.open_database(url)
    points.forget_cache()
    before, after = models.migrate()
    n_points = points.seed_service_points()
    n_days = seed_holidays()
    return {"schema_before": before, "schema": after, "service_points": n_points, "holidays": n_days}


def seed_holidays() -> int:
    """Public holidays from data/holidays.csv as closed days for every service point."""
    path = data_dir() / "holidays.csv"
    if not path.is_file():
        return 0
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [(date.fromisoformat(r["date"].strip()), r["name"].strip()) for r in csv.DictReader(fh)]
    with models.write_tx():
        # SQLite's unique index treats NULL points as distinct: check before inserting so that
        # running init again does not add the holidays twice.
        known = {d for (d,) in models.ClosedDay.select(models.ClosedDay.day).where(models.ClosedDay.point.is_null()).tuples()}
        for day, name in rows:
            if day not in known:
                models.ClosedDay.insert(day=day, point=None, reason=name).on_conflict_ignore().execute()
                known.add(day)
    return len(rows)


DEMO_STAFF = ("demo", "デモ職員", "demo-pass-2026")


def demo_patrons_file() -> Path:
    return data_dir() / "demo-patrons.csv"

"""Service points (受取館・所在館), seeded from data/service_points.csv."""

from __future__ import annotations

import csv
from functools import lru_cache

import models
from counter_app.config import data_dir
from counter_app.services import InvalidInput


def seed_service_points() -> int:
    """Insert or update the service points listed in data/. Returns how many are listed."""
    path = data_dir() / "service_points.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    with models.write_tx():
        for row in rows:
            values = {
                "name": row["name"].strip(),
                "kana": row.get("kana", "").strip(),
                "is_main": row.get("is_main", "no").strip().lower() in ("yes", "1", "true"),
            }
            if row.get("closed_weekdays") is not None:
                # Weekly closed days as ISO weekday digits ("1" = Monday … "7" = Sunday).
                values["closed_weekdays"] = "".join(
                    sorted({ch for ch in row["closed_weekdays"] if ch in "1234567"})
                )
            point = models.ServicePoint.get_or_none(models.ServicePoint.code == row["code"].strip())
            if point is None:
                models.ServicePoint.create(code=row["code"].strip(), **values)
            else:
                models.ServicePoint.update(**values).where(models.ServicePoint.id == point.id).execute()
    _points.cache_clear()
    return len(rows)


@lru_cache(maxsize=1)
def _points() -> dict[str, tuple[int, str]]:
    return {p.code: (p.id, p.name) for p in models.ServicePoint.select().order_by(models.ServicePoint.id)}


def all_points() -> list[tuple[str, str]]:
    """[(code, name)] in seed order."""
    return [(code, name) for code, (_id, name) in _points().items()]


def point_id(code: str) -> int:
    code = (code or "").strip().upper()
    found = _points().get(code)
    if found is None:
        known = "・".join(_points())
        raise InvalidInput("unknown-branch", f"サービスポイント {code or '(空)'} はありません（{known}）。")
    return found[0]


def point_name(code: str) -> str:
    found = _points().get(code)
    return found[1] if found else code


def forget_cache() -> None:
    _points.cache_clear()

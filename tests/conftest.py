"""Shared fixtures: a fresh SQLite database per test, the demo data, a staff member."""

from __future__ import annotations

from pathlib import Path

import pytest

import models
from counter_app.services import catalog, points, setup, staff

ROOT = Path(__file__).resolve().parent.parent
REAL_CATALOG = ROOT.parent / "shared" / "data" / "nacsis-cat-10000.tsv"
SAMPLE_CATALOG = ROOT / "data" / "sample-catalog.csv"
TODAY = "2026-12-03"  # a Thursday


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    """Every test runs on a fixed date, away from the developer's .env and working folder."""
    for key in list(__import__("os").environ):
        if key.startswith("LIBRARY_"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("LIBRARY_TODAY", TODAY)
    monkeypatch.setenv("LIBRARY_SPOOL_DIR", str(tmp_path / "spool"))
    monkeypatch.chdir(tmp_path)
    yield
    models.close_database()
    points.forget_cache()


@pytest.fixture
def db_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'library.db'}"


@pytest.fixture
def db(db_url):
    """An initialised, empty library database (service points and holidays seeded)."""
    setup.init_database(db_url)
    yield models.db
    models.close_database()


@pytest.fixture
def sample(db):
    """The demo catalogue from data/ imported."""
    report = catalog.import_catalog(SAMPLE_CATALOG, "library-csv")
    assert not report.errors
    return report


@pytest.fixture
def desk(db):
    """A desk staff member (login ``desk1``, password ``desk-pass-1``)."""
    return staff.add_staff("desk1", "窓口 一郎", "desk", "desk-pass-1")


@pytest.fixture
def real_catalog() -> Path:
    if not REAL_CATALOG.is_file():
        pytest.skip("../shared/data/nacsis-cat-10000.tsv is not here")
    return REAL_CATALOG

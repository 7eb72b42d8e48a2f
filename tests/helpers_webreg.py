"""Shared helpers for the web-registration tests."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import models
from counter_app import cli
from counter_app.services import Actor, patrons

FIXED_PASSWORD = "Kb7rMa4QdR3t"


def add(name="杵築 花子", kana="キツキ ハナコ", birth=date(1985, 6, 12), **kw) -> models.Patron:
    return patrons.add_patron(name, kana, birth, **kw)


def desk_actor(desk) -> Actor:
    return Actor(desk.id, "counter", desk.name)


def db_bytes(db_url: str) -> bytes:
    """Every byte SQLite has written for the database: the file and its write-ahead log."""
    path = Path(db_url[len("sqlite:///"):])
    data = b""
    for suffix in ("", "-wal", "-journal"):
        p = Path(str(path) + suffix)
        if p.exists():
            data += p.read_bytes()
    return data


def run_cli(capsys, *argv) -> tuple[int, dict | None, str]:
    code = cli.main(list(argv))
    out = capsys.readouterr()
    doc = json.loads(out.out) if out.out.strip().startswith("{") else None
    return code, doc, out.err


def under_age_birth(today: date) -> date:
    """Someone who turns 12 next school year (not yet eligible today)."""
    return date(today.year - 11, 6, 1)

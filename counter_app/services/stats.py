"""Counts for ``counter-app stats`` and the main screen."""

from __future__ import annotations

import models

OPEN_HOLDS = ("waiting", "in-transit", "ready")


def stats() -> dict[str, int]:
    return {
        "bibs": models.Bib.select().count(),
        "items": models.Item.select().count(),
        "patrons": models.Patron.select().count(),
        "loans": models.Loan.select().count(),
        "holds": models.Hold.select().where(models.Hold.status.in_(OPEN_HOLDS)).count(),
    }

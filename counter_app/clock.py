"""The one clock. Every "today" in the product comes from here.

``LIBRARY_TODAY=YYYY-MM-DD`` pins the date (training databases, tests); the time of day stays
real so that ordering by time still works.
"""

from __future__ import annotations

import os
from datetime import date, datetime


class ClockError(Exception):
    pass


def today() -> date:
    raw = os.environ.get("LIBRARY_TODAY", "").strip()
    if not raw:
        return date.today()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ClockError(f"LIBRARY_TODAY は YYYY-MM-DD で指定してください（いま: {raw!r}）") from None


def now() -> datetime:
    """Local date-time whose date is :func:`today` (seconds precision)."""
    real = datetime.now().replace(microsecond=0)
    return datetime.combine(today(), real.time())

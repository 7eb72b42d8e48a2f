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
        day = date.fromisoformat(raw)
    except ValueError:
        raise ClockError(f"LIBRARY_TODAY は YYYY-MM-DD で指定してください（いま: {raw!r}）") from None
    if not 2000 <= day.year <= 2199:  # due dates are counted forward from it
        raise ClockError(f"LIBRARY_TODAY は 2000年〜2199年の日付にしてください（いま: {raw}）")
    return day


def now() -> datetime:
    """Local date-time whose date is :func:`today` (seconds precision)."""
    real = datetime.now().replace(microsecond=0)
    return datetime.combine(today(), real.time())

"""休館日カレンダー: which days a service point is closed, and the next open day.

Pure: the service builds a :class:`Calendar` from the database (weekly closed days of the
service point and single closed dates), the public holidays (any mapping date → name; the
service passes one that knows every year) and the settings (the year-end closure); the rules
here only read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

WEEKDAY_JA = {1: "月", 2: "火", 3: "水", 4: "木", 5: "金", 6: "土", 7: "日"}

# A calendar with every day closed would never yield an open day; give up after this many.
MAX_SEARCH_DAYS = 400


class CalendarError(ValueError):
    """The calendar data cannot be used (e.g. every day is closed)."""


def parse_weekdays(text: str | None) -> frozenset[int]:
    """ISO weekday digits ("1" = Monday … "7" = Sunday) → set. Other characters are ignored."""
    return frozenset(int(ch) for ch in (text or "") if ch in "1234567")


def parse_month_day(text: str) -> tuple[int, int]:
    """'12-29' → (12, 29). Raises ValueError when it is not a real month and day."""
    month, day = (int(part) for part in text.strip().split("-"))
    date(2000, month, day)  # 2000 is a leap year: 02-29 is accepted
    return month, day


@dataclass(frozen=True)
class Calendar:
    """Closed days of one service point."""

    closed_weekdays: frozenset[int] = frozenset()
    # Single closed dates (holidays for every point and dates for this point) with a reason.
    closed_dates: dict[date, str] = field(default_factory=dict)
    year_end_from: tuple[int, int] | None = (12, 29)
    year_end_to: tuple[int, int] | None = (1, 3)
    # 国民の祝日 (name by date); looked up after ``closed_dates``, whose reason wins.
    public_holidays: Mapping[date, str] = field(default_factory=dict)

    def in_year_end(self, day: date) -> bool:
        if not self.year_end_from or not self.year_end_to:
            return False
        md = (day.month, day.day)
        start, end = self.year_end_from, self.year_end_to
        if start <= end:
            return start <= md <= end
        return md >= start or md <= end  # wraps over the new year

    def closed_reason(self, day: date) -> str | None:
        """Why ``day`` is closed (Japanese), or None when the point is open."""
        if day in self.closed_dates:
            return self.closed_dates[day] or "休館日"
        if day in self.public_holidays:
            return self.public_holidays[day] or "祝日"
        if self.in_year_end(day):
            return "年末年始休館"
        if day.isoweekday() in self.closed_weekdays:
            return f"定休日（{WEEKDAY_JA[day.isoweekday()]}曜日）"
        return None

    def is_closed(self, day: date) -> bool:
        return self.closed_reason(day) is not None

    def next_open_day(self, day: date) -> date:
        """``day`` itself when open, else the first open day after it."""
        for offset in range(MAX_SEARCH_DAYS):
            candidate = day + timedelta(days=offset)
            if not self.is_closed(candidate):
                return candidate
        raise CalendarError(f"{day.isoformat()} から{MAX_SEARCH_DAYS}日間、開館日がありません。")


def due_after(calendar: Calendar, start: date, days: int) -> date:
    """``start`` + ``days``, moved forward past closed days."""
    return calendar.next_open_day(start + timedelta(days=days))

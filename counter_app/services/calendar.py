"""休館日カレンダー as data: builds :class:`policies.calendar.Calendar` for a service point, and
the admin's list / add / remove of single closed dates (``counter-app calendar``).

Weekly closed days live on ServicePoint.closed_weekdays (seeded from data/service_points.csv);
the Japanese public holidays (国民の祝日, 振替休日 included) come from the maintained ``holidays``
package for every year a calendar looks at, so due dates stay right after the seeded
data/holidays.csv runs out; single closed dates (all points or one point, admin edits) are
ClosedDay rows. The year-end closure comes from the settings (year_end_from / year_end_to).
"""

from __future__ import annotations

from datetime import date

import holidays
from peewee import JOIN

import models
from counter_app import clock
from counter_app.config import settings
from counter_app.services import CLI, Actor, InvalidInput, Refused, audit, points
from policies.calendar import Calendar, parse_month_day, parse_weekdays


def _year_end() -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
    cfg = settings()
    try:
        return parse_month_day(cfg.year_end_from), parse_month_day(cfg.year_end_to)
    except ValueError:
        raise InvalidInput(
            "invalid-year-end",
            f"年末年始休館の設定が正しくありません（{cfg.year_end_from}〜{cfg.year_end_to}、MM-DD で指定）。",
        ) from None


def public_holidays(*years: int) -> holidays.HolidayBase:
    """Japanese public holidays (names in Japanese). The mapping fills in any further year the
    moment a date of that year is looked up, so a calendar never runs out of holidays."""
    return holidays.country_holidays("JP", years=years or clock.today().year, language="ja")


def calendar_for(point: int | str) -> Calendar:
    """The closed-day calendar of one service point (id or code)."""
    point_id = points.point_id(point) if isinstance(point, str) else point
    sp = models.ServicePoint.get_by_id(point_id)
    rows = models.ClosedDay.select().where(
        models.ClosedDay.point.is_null() | (models.ClosedDay.point == point_id)
    )
    closed: dict[date, str] = {}
    for row in rows:
        # A point's own reason wins over a holiday's name on the same day.
        if row.day not in closed or row.point_id is not None:
            closed[row.day] = row.reason
    start, end = _year_end()
    year = clock.today().year
    return Calendar(parse_weekdays(sp.closed_weekdays), closed, start, end, public_holidays(year, year + 1))


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        raise InvalidInput("invalid-date", f"日付は YYYY-MM-DD で入力してください（入力: {text!r}）。") from None


def list_closed(year: int | None = None) -> dict:
    """Single closed dates (all points and per point), the weekly closures and the year-end."""
    query = (
        models.ClosedDay.select(models.ClosedDay, models.ServicePoint)
        .join(models.ServicePoint, join_type=JOIN.LEFT_OUTER, on=(models.ClosedDay.point == models.ServicePoint.id))
        .order_by(models.ClosedDay.day, models.ClosedDay.id)
    )
    if year:
        query = query.where(
            (models.ClosedDay.day >= date(year, 1, 1)) & (models.ClosedDay.day <= date(year, 12, 31))
        )
    seen: set[tuple[date, str | None]] = set()
    days = []
    for row in query:
        code = row.point.code if row.point_id else None
        if (row.day, code) in seen:
            continue
        seen.add((row.day, code))
        days.append({"date": row.day.isoformat(), "point": code, "reason": row.reason})
    today = clock.today()
    for day, name in public_holidays(*([year] if year else [today.year, today.year + 1])).items():
        if (day, None) not in seen:
            days.append({"date": day.isoformat(), "point": None, "reason": name})
    days.sort(key=lambda d: d["date"])
    cfg = settings()
    weekly = {
        sp.code: sorted(parse_weekdays(sp.closed_weekdays))
        for sp in models.ServicePoint.select().order_by(models.ServicePoint.id)
    }
    return {"days": days, "weekly": weekly, "year_end": {"from": cfg.year_end_from, "to": cfg.year_end_to}}


def _point_or_none(code: str | None) -> int | None:
    return points.point_id(code) if code else None


def _where(day: date, point_id: int | None):
    cond = models.ClosedDay.day == day
    return cond & (models.ClosedDay.point.is_null() if point_id is None else (models.ClosedDay.point == point_id))


def add_closed(day_text: str, point_code: str | None, reason: str, actor: Actor = CLI) -> dict:
    """Add a closed date for one point (or every point when ``point_code`` is None)."""
    day = parse_day(day_text)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("empty-reason", "休館の理由を入力してください（例: 蔵書点検）。")
    point_id = _point_or_none(point_code)
    with models.write_tx():
        if models.ClosedDay.select().where(_where(day, point_id)).exists():
            raise Refused("already-closed", f"{day.isoformat()} はすでに休館日として登録されています。")
        models.ClosedDay.create(day=day, point=point_id, reason=reason)
        audit(actor, "calendar-add", day=day.isoformat(), point=point_code or "", reason=reason)
    return {"date": day.isoformat(), "point": point_code.upper() if point_code else None, "reason": reason}


def remove_closed(day_text: str, point_code: str | None, actor: Actor = CLI) -> dict:
    day = parse_day(day_text)
    point_id = _point_or_none(point_code)
    with models.write_tx():
        n = models.ClosedDay.delete().where(_where(day, point_id)).execute()
        if not n:
            where = f"{point_code.upper()} の" if point_code else "全館共通の"
            raise Refused("not-closed", f"{day.isoformat()} は{where}休館日として登録されていません。")
        audit(actor, "calendar-remove", day=day.isoformat(), point=point_code or "")
    return {"date": day.isoformat(), "point": point_code.upper() if point_code else None, "removed": n}

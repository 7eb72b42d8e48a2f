"""予約 (reservations): whether a title may be reserved, the series-volume note, and the pickup
deadline. Pure: facts and ``today`` come in, decisions go out; every channel (counter, phone,
web, CLI) asks here."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta

from policies.calendar import Calendar

RESERVABLE_TYPES = ("book", "magazine")
PICKUP_POINTS = ("KIT", "YAM", "OTA")

REASON_TEXT = {
    "material-type": "DVD・CDは予約できません（カウンターでおたずねください）。",
    "not-owned": "この資料は他館から借りている資料のため予約できません（カウンターでおたずねください）。",
    "hold-limit": "予約できる件数の上限（{max_holds}件）に達しています。",
    "already-reserved": "すでに予約中の資料です（同じ資料を重ねて予約することはできません）。",
    "already-on-loan": "この資料は現在お借りになっています。",
    "invalid-pickup": "受取館は 杵築市立図書館・山香図書室・大田図書室 のいずれかを選んでください。",
}


@dataclass(frozen=True)
class ReserveFacts:
    """What the rule needs to know about the title, the patron and the request."""

    material_type: str
    owned_copies: int  # copies owned by this library (not borrowed from another library)
    open_holds: int  # the patron's open reservations (waiting, in transit, ready)
    max_holds: int
    already_reserved: bool  # the patron has an open reservation of this title
    on_loan: bool  # the patron has a copy of this title on loan
    pickup: str  # service point code as given
    pickup_points: tuple[str, ...] = PICKUP_POINTS


@dataclass(frozen=True)
class ReserveCheck:
    reasons: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.reasons

    @property
    def message(self) -> str:
        return "".join(self.messages)


def title_reasons(material_type: str, owned_copies: int) -> list[str]:
    """Reasons that belong to the title itself (no patron needed): the screen uses these to
    decide whether to offer the reserve action at all."""
    reasons = []
    if material_type not in RESERVABLE_TYPES:
        reasons.append("material-type")
    elif owned_copies <= 0:
        reasons.append("not-owned")
    return reasons


def check_reserve(f: ReserveFacts) -> ReserveCheck:
    """Every reason that applies, in a fixed order, with a Japanese message for each."""
    reasons = title_reasons(f.material_type, f.owned_copies)
    if f.already_reserved:
        reasons.append("already-reserved")
    elif f.open_holds >= f.max_holds:
        reasons.append("hold-limit")
    if f.on_loan:
        reasons.append("already-on-loan")
    if (f.pickup or "").strip().upper() not in f.pickup_points:
        reasons.append("invalid-pickup")
    return ReserveCheck(reasons, [reason_text(r, f.max_holds) for r in reasons])


def reason_text(reason: str, max_holds: int = 0) -> str:
    return REASON_TEXT.get(reason, reason).format(max_holds=max_holds)


# --- series volumes -------------------------------------------------------------------------

_VOLUME = re.compile(
    r"^(?P<base>.+?)[\s　]+"
    r"(?P<vol>上|中|下|前編|後編|上巻|中巻|下巻|第?\s*[0-9０-９一二三四五六七八九十IVXⅠⅡⅢⅣⅤ]+\s*[巻部集]?"
    r"(?:[\s　].*)?|BOOK\s*\d+.*)$",
)


def volume_of(title: str, series: str = "", volume: str = "") -> tuple[str, str] | None:
    """(series base, volume) when the record is one volume of a series, else None. Catalogued
    series/volume win; otherwise a trailing 上・中・下 or number after a space is read."""
    if series.strip() and volume.strip():
        return series.strip(), volume.strip()
    text = unicodedata.normalize("NFKC", title or "").strip()
    if " " not in text:
        return None
    m = _VOLUME.match(text)
    if not m or not m.group("base").strip():
        return None
    return m.group("base").strip(), m.group("vol").split()[0]


def series_note(volume: str, other_volumes: int) -> str | None:
    """The note read to a patron who reserves one volume of several."""
    if other_volumes <= 0:
        return None
    return (
        f"この資料はシリーズの「{volume}」です。ほかの巻（{other_volumes}点）は別々に予約してください。"
        "巻ごとに用意でき次第お知らせするため、そろえて・順番どおりにお渡しすることはできません。"
    )


# --- pickup deadline ------------------------------------------------------------------------


def pickup_deadline(calendar: Calendar, notice_day: date, pickup_days: int) -> date:
    """取置期限: the day the ready notice was sent (or the call made) plus ``pickup_days``,
    moved past closed days of the pickup point."""
    return calendar.next_open_day(notice_day + timedelta(days=pickup_days))

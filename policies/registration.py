"""WEBサービス利用登録 rules: who may register (school-year age rule) and what a new patron's
details must look like. Pure functions; ``today`` is always an argument.

The age rule (domain.md): only patrons of junior-high-school age or older (中学生以上) may
register. Japanese school years start on 1 April and an age is reached at the end of the day
before the birthday, so a person becomes eligible on the first 1 April that falls *after* the
day before their 12th birthday:

- born 2013-04-02 → reaches 12 at the end of 2025-04-01 → eligible from 2026-04-01;
- born 2013-04-01 → reaches 12 at the end of 2025-03-31 → eligible from 2025-04-01 (早生まれ).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from policies.email import check_email
from policies.idnumber import looks_like_id_number

MIN_AGE = 12  # the age at which a child enters junior high school in the following April
EARLIEST_BIRTH = date(1900, 1, 1)

# Identity documents staff may record (the TYPE only, never a number), in screen order.
ID_TYPES: dict[str, str] = {
    "license": "運転免許証",
    "insurance": "健康保険証（資格確認書）",
    "student": "学生証",
    "mynumber": "マイナンバーカード",
    "other": "その他",
}


@dataclass(frozen=True)
class Problem:
    """One reason a request cannot go ahead: a stable code and a Japanese message."""

    reason: str
    message: str
    field: str = ""


@dataclass(frozen=True)
class AgeCheck:
    ok: bool
    eligible_from: date
    reason: str | None = None
    message: str = ""


def _add_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later; 29 February becomes 28 February in a common year
    (a period that ends on a day the month does not have ends on the month's last day)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def age_reached_on(birth: date, age: int) -> date:
    """The day at whose end ``age`` is reached: the day before the birthday, counted from the
    day before birth so that 29 February and 1 March births come out right."""
    return _add_years(birth - timedelta(days=1), age)


def eligible_from(birth: date) -> date:
    """The first 1 April after the day before the 12th birthday."""
    reached = age_reached_on(birth, MIN_AGE)
    april = date(reached.year, 4, 1)
    return april if april > reached else date(reached.year + 1, 4, 1)


def ja_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def check_age(birth: date, today: date) -> AgeCheck:
    """May a patron born on ``birth`` register for the web service on ``today``?"""
    start = eligible_from(birth)
    if today >= start:
        return AgeCheck(True, start)
    return AgeCheck(
        False,
        start,
        "under-age",
        f"WEBサービスは中学生以上の方が登録できます。この方は {ja_date(start)} から登録できます。",
    )


def check_id_type(code: str | None) -> Problem | None:
    if code in ID_TYPES:
        return None
    names = "・".join(ID_TYPES.values())
    return Problem("invalid-id-type", f"本人確認書類の種類を選んでください（{names}）。", "id_type")


# --- a new patron's details -----------------------------------------------------------------

FIELD_NAMES = {"name": "氏名", "kana": "フリガナ", "phone": "電話番号", "email": "メールアドレス", "birth": "生年月日"}
_KANA = re.compile(r"^[\u30a1-\u30fa\u30fc\u30fb\u3041-\u3096\u309d\u309e\u30fd\u30fe ]+$")
_PHONE = re.compile(r"^\+?[0-9()\- ]+$")


def clean_text(text: str | None) -> str:
    """NFKC (full-width letters and digits, half-width kana folded), trimmed, single spaces."""
    s = unicodedata.normalize("NFKC", text or "").replace("\u3000", " ")
    return re.sub(r"\s+", " ", s).strip()


def clean_name(text: str | None) -> str:
    """A name as stored: NFC (keeps full-width letters as typed), trimmed, single spaces."""
    s = unicodedata.normalize("NFC", text or "").replace("\u3000", " ")
    return re.sub(r"\s+", " ", s).strip()


def clean_kana(text: str | None) -> str:
    """Kana as stored: full-width katakana, single spaces (hiragana and half-width folded)."""
    s = clean_text(text)
    return "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" else c for c in s)


def duplicate_key(name: str) -> str:
    """A name folded for duplicate detection: NFKC, no spaces, lower case."""
    return clean_text(name).replace(" ", "").lower()


def check_no_id_number(fields: dict[str, str | None]) -> list[Problem]:
    """Refuse any field holding what looks like a 12-digit individual number (個人番号).

    The message never repeats what was typed."""
    return [
        Problem(
            "looks-like-id-number",
            f"{FIELD_NAMES.get(name, name)}に12桁以上の数字が入っています。"
            "個人番号など本人確認書類の番号は入力・記録できません。",
            name,
        )
        for name, value in fields.items()
        if value and looks_like_id_number(value)
    ]


def check_new_patron(
    name: str | None,
    kana: str | None,
    birth: date | None,
    phone: str | None,
    email: str | None,
    today: date,
    kana_required: bool = False,
) -> list[Problem]:
    """Every problem with a new patron's details (empty list = fine). The e-mail address, when
    given, goes through the one e-mail rule (:func:`policies.email.check_email`), which also
    refuses an individual number inside an address."""
    problems = check_no_id_number({"name": name, "kana": kana, "phone": phone})
    bad = {p.field for p in problems}
    if "name" not in bad and not clean_name(name):
        problems.append(Problem("empty-name", "氏名を入力してください。", "name"))
    kana_c = clean_kana(kana)
    if "kana" not in bad:
        if not kana_c:
            if kana_required:
                problems.append(Problem("empty-kana", "フリガナを入力してください。", "kana"))
        elif not _KANA.match(kana_c):
            problems.append(Problem("invalid-kana", "フリガナはカタカナ（またはひらがな）で入力してください。", "kana"))
    if birth is None:
        problems.append(Problem("invalid-birth-date", "生年月日を YYYY-MM-DD で入力してください（例: 2013-04-02）。", "birth"))
    elif birth > today:
        problems.append(Problem("birth-in-future", "生年月日が未来の日付です。", "birth"))
    elif birth < EARLIEST_BIRTH:
        problems.append(Problem("birth-too-early", "生年月日が1900年より前です。入力を確認してください。", "birth"))
    phone_c = clean_text(phone)
    if phone_c and "phone" not in bad:
        digits = sum(c.isdigit() for c in phone_c)
        if not _PHONE.match(phone_c) or not 6 <= digits <= 11:
            problems.append(Problem("invalid-phone", "電話番号は数字とハイフンで入力してください（例: 0978-62-0001）。", "phone"))
    if clean_text(email):
        mail = check_email(email)
        if mail.address is None:
            problems.append(Problem(mail.reason or "invalid-email", mail.message, "email"))
    return problems


def clean_email(text: str | None) -> str:
    """An optional address as stored: the e-mail rule's normalised form, or "" when empty."""
    return (check_email(text).address or "") if clean_text(text) else ""


def parse_birth(text: str | None) -> date | None:
    """A typed date of birth: 2013-04-02, 2013/4/2, 2013.4.2, 2013年4月2日, 20130402 (full-width
    digits too) → date; None when it is not a real date. Shared by every screen and command."""
    s = clean_text(text).replace(" ", "")
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", s) or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", s)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None

"""WEBサービス利用登録 at the counter: register, reissue, unlock, status.

The patron stands at the counter; staff check an identity document and record only its TYPE,
who checked and when (WebAccount.id_type / id_checked_by / id_checked_at). The temporary
password is made by policies.passwords, returned once to the caller (screen or command line)
for the screen and the slip, and stored only as an argon2id hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import models
from counter_app import clock
from counter_app.config import settings
from counter_app.services import CLI, Actor, InvalidInput, Refused, audit, slips
from counter_app.services.patrons import get_patron, web_status
from counter_app.services.staff import hash_password
from policies import passwords, registration


# Registration needs the patron in person with an identity document: never by web or phone.
REMOTE_CHANNELS = frozenset({"web", "phone", "kiosk"})


@dataclass(frozen=True)
class Issued:
    """A freshly issued temporary password. The only place the plain text ever lives."""

    card: str
    temporary_password: str
    expires: date
    reissued: bool
    id_type: str

    def as_json(self) -> dict:
        return {
            "ok": True,
            "card": self.card,
            "temporary_password": self.temporary_password,
            "expires": self.expires.isoformat(),
            "reissued": self.reissued,
            "id_type": self.id_type,
        }

    def __repr__(self) -> str:  # never show the password in a traceback or log
        return f"Issued(card={self.card!r}, expires={self.expires}, reissued={self.reissued})"


def _account(patron: models.Patron) -> models.WebAccount | None:
    return models.WebAccount.get_or_none(models.WebAccount.patron == patron.id)


def preview(raw_card: str) -> dict:
    """What the registration screen shows before the ID check: the patron, the web account
    status and whether the age rule lets them register today."""
    patron = get_patron(raw_card)
    age = registration.check_age(patron.birth_date, clock.today())
    return {
        "card": patron.card,
        "name": patron.name,
        "kana": patron.kana,
        "birth_date": patron.birth_date.isoformat(),
        "withdrawn": patron.withdrawn,
        "web": web_status(patron),
        "eligible": age.ok,
        "eligible_from": age.eligible_from.isoformat(),
        "age_message": age.message,
    }


def _check_id_type(id_type: str) -> None:
    problem = registration.check_id_type(id_type)
    if problem:
        raise InvalidInput(problem.reason, problem.message)


def _expiry(today: date) -> tuple[date, datetime]:
    day = today + timedelta(days=settings().temp_password_days)
    return day, datetime.combine(day, time(23, 59, 59))


def register(raw_card: str, id_type: str, actor: Actor = CLI, reissue: bool = False) -> Issued:
    """Register the patron for the web service (or, with ``reissue``, replace the password of
    an existing registration after a new ID check). Refusals: ``unknown-card``, ``under-age``
    (with the date the patron becomes eligible), ``already-registered``, ``not-registered``,
    ``withdrawn``, ``invalid-id-type``, ``in-person-only`` (asked through the web or phone)."""
    if actor.channel in REMOTE_CHANNELS:
        raise Refused(
            "in-person-only",
            "WEBサービスの利用登録と仮パスワードの再発行は、ご本人が来館して窓口で行います。",
        )
    _check_id_type(id_type)
    patron = get_patron(raw_card)
    if patron.withdrawn:
        raise Refused("withdrawn", f"利用者カード {patron.card} は退会済みです。")
    today = clock.today()
    cfg = settings()
    password = passwords.generate(cfg.temp_password_length)
    pw_hash = hash_password(password)  # slow on purpose: before the write lock is taken
    expires, expires_at = _expiry(today)
    now = clock.now()
    with models.write_tx():
        account = _account(patron)
        if reissue:
            if account is None:
                raise Refused(
                    "not-registered",
                    f"利用者カード {patron.card} はWEBサービスに登録されていません。新規登録してください。",
                )
            models.WebAccount.update(
                password_hash=pw_hash,
                temporary=True,
                expires_at=expires_at,
                locked=False,
                failed_logins=0,
                session_epoch=models.WebAccount.session_epoch + 1,
                id_type=id_type,
                id_checked_by=actor.staff_id,
                id_checked_at=now,
            ).where(models.WebAccount.id == account.id).execute()
            # Password-reset links sent before the reissue must not work afterwards either.
            models.ResetToken.update(used_at=now).where(
                (models.ResetToken.account == account.id) & (models.ResetToken.used_at.is_null())
            ).execute()
            audit(actor, "web-reissue", patron.card, id_type=id_type)
        else:
            if account is not None:
                raise Refused(
                    "already-registered",
                    f"利用者カード {patron.card} はすでにWEBサービスに登録されています。"
                    "パスワードを忘れた場合は再発行してください（--reissue）。",
                )
            age = registration.check_age(patron.birth_date, today)
            if not age.ok:
                raise Refused(age.reason, age.message, eligible_from=age.eligible_from.isoformat())
            models.WebAccount.create(
                patron=patron.id,
                password_hash=pw_hash,
                temporary=True,
                expires_at=expires_at,
                id_type=id_type,
                id_checked_by=actor.staff_id,
                id_checked_at=now,
                registered_at=now,
            )
            audit(actor, "web-register", patron.card, id_type=id_type)
    return Issued(patron.card, password, expires, reissue, id_type)


def unlock(raw_card: str, actor: Actor = CLI) -> dict:
    """Lift a lock after too many failed logins (staff at the counter)."""
    patron = get_patron(raw_card)
    with models.write_tx():
        account = _account(patron)
        if account is None:
            raise Refused("not-registered", f"利用者カード {patron.card} はWEBサービスに登録されていません。")
        if not account.locked:
            raise Refused("not-locked", f"利用者カード {patron.card} のWEBアカウントはロックされていません。")
        models.WebAccount.update(locked=False, failed_logins=0).where(models.WebAccount.id == account.id).execute()
        audit(actor, "web-unlock", patron.card)
    return status(patron.card)


def status(raw_card: str) -> dict:
    """The web account as the patron screen shows it."""
    patron = get_patron(raw_card)
    return {"card": patron.card, **web_status(patron)}


# --- the slip ---------------------------------------------------------------------------------


def slip_text(card: str, temporary_password: str, expires: date) -> str:
    """The plain-text slip for an 80 mm receipt printer. Holds the password: print it once."""
    cfg = settings()
    groups = passwords.grouped(temporary_password).split(" ")
    marks = {"大": "A", "小": "a", "数": "9"}
    kinds = "   ".join(" ".join(marks[passwords.char_kind(c)] for c in g) for g in groups)
    lines = [
        slips.center(cfg.library_name),
        slips.center("WEBサービス 仮パスワードのお知らせ"),
        slips.rule("="),
        f"利用者カード番号: {card}",
        "",
        "仮パスワード:",
        "  " + "   ".join(" ".join(g) for g in groups),
        "  " + kinds,
        "  （A:英大文字 a:英小文字 9:数字）",
        "  間の空白は入力しません。",
        "",
        f"有効期限: {registration.ja_date(expires)}",
        "",
        "ログインはこちらから:",
        f"  {cfg.web_url}",
        "",
        "初回ログイン後に変更してください。",
        "このパスワードは再表示・再印刷できません。",
        "図書館からパスワードをおたずねすることは",
        "ありません。",
        slips.rule("-"),
        f"発行日: {registration.ja_date(clock.today())}",
        "",
    ]
    return "\n".join(lines)


def print_password_slip(issued: Issued) -> slips.SlipResult:
    """Print (or spool) the slip for a just-issued password. A spooled file (owner-only, like
    every spooled slip) carries the password until it is printed and deleted; ``daily``
    deletes password slips older than a day."""
    return slips.print_slip(slips.PASSWORD_SLIP, slip_text(issued.card, issued.temporary_password, issued.expires))

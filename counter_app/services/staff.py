"""Staff accounts and sign-in. Passwords are kept only as argon2id hashes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from peewee import fn

import models
from counter_app import clock
from counter_app.services import CLI, Actor, InvalidInput, Refused, audit

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters

ROLES = ("desk", "admin")
MIN_PASSWORD = 8


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class SignedIn:
    id: int
    login: str
    name: str
    role: str


def add_staff(login: str, name: str, role: str, password: str, actor: Actor = CLI) -> SignedIn:
    login = (login or "").strip()
    if not login or not login.isascii() or " " in login:
        raise InvalidInput("invalid-login", "ログインIDは半角英数字で入力してください。")
    if not (name or "").strip():
        raise InvalidInput("empty-name", "職員の氏名を入力してください。")
    if role not in ROLES:
        raise InvalidInput("invalid-role", "権限は desk か admin です。")
    if len(password or "") < MIN_PASSWORD:
        raise InvalidInput("weak-password", f"パスワードは{MIN_PASSWORD}文字以上にしてください。")
    with models.write_tx():
        if models.Staff.get_or_none(models.Staff.login == login):
            raise Refused("staff-exists", f"ログインID {login} はすでに使われています。")
        staff = models.Staff.create(
            login=login, name=name.strip(), role=role, password_hash=hash_password(password)
        )
        audit(actor, "staff-add", staff_login=login, role=role)
    return SignedIn(staff.id, staff.login, staff.name, staff.role)


MAX_FAILURES = 5
LOCK_MINUTES = 15


def _recent_failures(staff_id: int) -> int:
    """Wrong passwords for this login in the last LOCK_MINUTES, since its last good sign-in."""
    since = clock.now() - timedelta(minutes=LOCK_MINUTES)
    last_ok = (
        models.AuditEvent.select(fn.MAX(models.AuditEvent.at))
        .where((models.AuditEvent.staff == staff_id) & (models.AuditEvent.action == "sign-in"))
        .scalar()
    )
    if last_ok is not None and last_ok > since:
        since = last_ok
    return models.AuditEvent.select().where(
        (models.AuditEvent.staff == staff_id)
        & (models.AuditEvent.action == "sign-in-failed")
        & (models.AuditEvent.at > since)
    ).count()


def sign_in(login: str, password: str) -> SignedIn:
    """Check a staff login. The same message for an unknown login and a wrong password; after
    MAX_FAILURES wrong passwords the login rests for LOCK_MINUTES (recorded in the audit log)."""
    staff = models.Staff.get_or_none(models.Staff.login == (login or "").strip())
    if staff is not None and staff.active and _recent_failures(staff.id) >= MAX_FAILURES:
        raise Refused(
            "too-many-attempts",
            f"パスワードを{MAX_FAILURES}回続けて間違えたため、{LOCK_MINUTES}分間サインインできません。",
        )
    if staff is None or not staff.active or not verify_password(staff.password_hash, password or ""):
        if staff is not None:
            with models.write_tx():
                audit(Actor(staff.id, "counter"), "sign-in-failed")
        raise Refused("bad-credentials", "ログインIDまたはパスワードが違います。")
    if _hasher.check_needs_rehash(staff.password_hash):
        with models.write_tx():
            models.Staff.update(password_hash=hash_password(password)).where(
                models.Staff.id == staff.id
            ).execute()
    with models.write_tx():
        audit(Actor(staff.id, "counter"), "sign-in")
    return SignedIn(staff.id, staff.login, staff.name, staff.role)

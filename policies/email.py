"""E-mail rules (pure): is an address usable, is it free-mail or a mobile carrier's, and how
long to wait before the next delivery attempt.

Domain lists are passed in (the service reads them from ``data/``) so the rules stay testable
and one place decides for every channel (counter, CLI, web).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Iterable

from email_validator import EmailNotValidError, validate_email

from policies.idnumber import looks_like_id_number

FREEMAIL = "freemail"
MOBILE = "mobile-carrier"
ID_NUMBER_MESSAGE = (
    "メールアドレスに12桁以上の数字が入っています。個人番号など本人確認書類の番号は入力・記録できません。"
)


@dataclass(frozen=True)
class EmailCheck:
    address: str | None  # normalised address, None when unusable
    reason: str | None = None  # stable code when unusable
    message: str = ""  # Japanese, for the screen
    warnings: tuple[str, ...] = ()  # FREEMAIL / MOBILE
    notes: tuple[str, ...] = field(default=())  # Japanese text for each warning

    @property
    def freemail(self) -> bool:
        return FREEMAIL in self.warnings

    @property
    def mobile(self) -> bool:
        return MOBILE in self.warnings


def parse_domains(lines: Iterable[str]) -> frozenset[str]:
    """Domains from a list file: one per line, ``#`` starts a comment, case folded."""
    out = set()
    for line in lines:
        text = line.split("#", 1)[0].strip().lower().lstrip("@").lstrip(".")
        if text:
            out.add(text)
    return frozenset(out)


def domain_in(domain: str, domains: Iterable[str]) -> bool:
    """True when ``domain`` is one of ``domains`` or a sub-domain of one."""
    domain = domain.lower()
    return any(domain == d or domain.endswith("." + d) for d in domains)


def check_email(
    raw: str | None,
    freemail_domains: Iterable[str] = (),
    mobile_domains: Iterable[str] = (),
    mail_from: str = "",
) -> EmailCheck:
    """Check a typed address. Full-width characters are folded (NFKC) first. A free-mail
    domain is a warning the patron must confirm; a mobile carrier's gets a note to allow mail
    from ``mail_from``. Neither blocks.

    An address holding 12 or more digits in one run (a My Number, 個人番号, perhaps typed by
    mistake) is refused with ``looks-like-id-number``; the message never repeats the input.

    >>> check_email("ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ").address
    'hanako@example.jp'
    """
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if not text:
        return EmailCheck(None, "empty-email", "メールアドレスを入力してください。")
    if looks_like_id_number(text):
        return EmailCheck(None, "looks-like-id-number", ID_NUMBER_MESSAGE)
    if any(ch.isspace() for ch in text):
        return EmailCheck(None, "invalid-email", "メールアドレスに空白は使えません。")
    try:
        valid = validate_email(text, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        return EmailCheck(None, "invalid-email", f"メールアドレスの形式が正しくありません（{text}）。", notes=(str(exc),))
    address = valid.normalized
    local, _, domain = address.rpartition("@")
    address = f"{local}@{domain.lower()}"
    warnings: list[str] = []
    notes: list[str] = []
    if domain_in(domain, freemail_domains):
        warnings.append(FREEMAIL)
        notes.append(
            f"「{domain}」はフリーメールです。図書館からのメールが迷惑メールとして扱われ、届かないおそれがあります。"
            "このアドレスで登録してよいか利用者に確認してください。"
        )
    if domain_in(domain, mobile_domains):
        warnings.append(MOBILE)
        sender = mail_from or "図書館の送信アドレス"
        notes.append(
            f"携帯電話のアドレスです。ドメイン指定受信を設定している場合は「{sender}」からのメールを"
            "受信できるように設定してもらってください。"
        )
    return EmailCheck(address, warnings=tuple(warnings), notes=tuple(notes))


def same_address(a: str | None, b: str | None) -> bool:
    """Two addresses are the same mailbox for our purposes (domain case-insensitive; the local
    part compared case-insensitively too, as practically every provider does)."""
    return bool(a) and bool(b) and a.strip().lower() == b.strip().lower()


# --- delivery retries -------------------------------------------------------------------------


def retry_delay(attempts: int, base: float, cap: float, rand: float) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt: exponential from ``base``,
    capped at ``cap``, with jitter — a point in the upper half of the step, chosen by
    ``rand`` in [0, 1) — so that senders after an outage do not all retry at once.

    >>> retry_delay(1, 60, 3600, 0.0), retry_delay(3, 60, 3600, 0.0), retry_delay(20, 60, 3600, 0.0)
    (30.0, 120.0, 1800.0)
    """
    attempts = max(1, attempts)
    step = min(float(cap), float(base) * 2 ** min(attempts - 1, 30))
    rand = min(max(rand, 0.0), 1.0)
    return step / 2 + step / 2 * rand


def is_permanent(code: int | None) -> bool:
    """An SMTP reply code that means "never going to work" (5xx)."""
    return code is not None and 500 <= int(code) <= 599

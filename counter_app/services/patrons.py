"""Patrons (利用者): card look-up, new cards, and the patron summary every screen shows."""

from __future__ import annotations

import unicodedata
from datetime import date

import jaconv

import models
from counter_app import clock
from counter_app.services import CLI, Actor, InvalidInput, Refused, audit
from policies import registration
from policies.cards import CARD_LENGTH, normalize_card
from policies.idnumber import looks_like_id_number

FIRST_CARD = 1000001
OPEN_HOLDS = ("waiting", "in-transit", "ready")


def card_or_raise(raw: str) -> str:
    """Normalise a typed or scanned card number; InvalidInput with a reason when it is not one."""
    check = normalize_card(raw)
    if check.card is None:
        raise InvalidInput(check.reason, check.message)
    return check.card


def get_patron(raw_card: str) -> models.Patron:
    card = card_or_raise(raw_card)
    patron = models.Patron.get_or_none(models.Patron.card == card)
    if patron is None:
        raise Refused("unknown-card", f"利用者カード {card} は登録されていません。")
    return patron


def kana_key(kana: str) -> str:
    """Kana folded for look-up: NFKC, katakana, no spaces."""
    text = unicodedata.normalize("NFKC", kana or "")
    return jaconv.hira2kata(text).replace(" ", "").replace("\u3000", "")


def mask_email(address: str) -> str | None:
    if not address or "@" not in address:
        return None
    local, domain = address.rsplit("@", 1)
    return (local[:2] if len(local) > 2 else local[:1]) + "***@" + domain


def mask_phone(phone: str) -> str:
    """0978-62-0001 → ****-**-0001: every digit but the last four hidden, separators kept, so
    staff can ask a caller to confirm the number without reading it out."""
    text = phone or ""
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    hidden = set(digits[:-4])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(text))


def next_card_number() -> str:
    """The next card number never used before (call inside a write transaction)."""
    row = models.Setting.get_or_none(models.Setting.key == "next_card")
    seq = int(row.value) if row else FIRST_CARD
    top = models.Patron.select(models.Patron.card).order_by(models.Patron.card.desc()).limit(1).first()
    if top is not None:
        seq = max(seq, int(top.card) + 1)
    if seq >= 10**CARD_LENGTH:
        raise Refused("cards-exhausted", "利用者カード番号が上限に達しました。")
    models.Setting.insert(key="next_card", value=str(seq + 1)).on_conflict_replace().execute()
    return f"{seq:0{CARD_LENGTH}d}"


def _refuse_problems(problems) -> None:
    """Raise for the first problem; every reason code goes into the refusal."""
    if problems:
        raise InvalidInput(
            [p.reason for p in problems],
            "\n".join(dict.fromkeys(p.message for p in problems)),
            fields=sorted({p.field for p in problems if p.field}),
        )


def find_duplicates(name: str, birth: date) -> list[models.Patron]:
    """Patrons with the same name (spaces and width ignored) and the same birth date."""
    key = registration.duplicate_key(name)
    return [
        p for p in models.Patron.select().where(models.Patron.birth_date == birth).order_by(models.Patron.card)
        if registration.duplicate_key(p.name) == key
    ]


def add_patron(
    name: str,
    kana: str,
    birth: date | None,
    phone: str = "",
    email: str = "",
    card: str | None = None,
    actor: Actor = CLI,
    confirm_duplicate: bool = False,
    kana_required: bool = False,
) -> models.Patron:
    """Create a patron (利用者カードの新規作成) with the next free card number (or the given,
    unused one). Checks the details (policies.registration.check_new_patron: empty name, birth
    date in the future or before 1900, kana, phone, e-mail, and anything that looks like a
    12-digit individual number). Same name + birth date as an existing patron is refused with
    ``possible-duplicate`` unless ``confirm_duplicate`` is set."""
    _refuse_problems(
        registration.check_new_patron(name, kana, birth, phone, email, clock.today(), kana_required=kana_required)
    )
    name = registration.clean_name(name)
    kana = registration.clean_kana(kana)
    phone = registration.clean_text(phone)
    email = registration.clean_email(email)
    with models.write_tx():
        if card:
            if looks_like_id_number(card):
                raise InvalidInput("looks-like-id-number", "利用者カード番号は数字7桁です。個人番号などの番号は入力できません。")
            card = card_or_raise(card)
            if models.Patron.select().where(models.Patron.card == card).exists():
                raise Refused("card-in-use", f"利用者カード {card} はすでに使われています。")
        dupes = find_duplicates(name, birth)
        if dupes and not confirm_duplicate:
            cards = [p.card for p in dupes]
            raise Refused(
                "possible-duplicate",
                f"同じ氏名・生年月日の利用者がすでにいます（カード {'、'.join(cards)}）。"
                "別の方であることを確認してから登録してください。",
                cards=cards,
            )
        if not card:
            card = next_card_number()
        patron = models.Patron.create(
            card=card,
            name=name,
            kana=kana,
            kana_key=kana_key(kana),
            birth_date=birth,
            phone=phone,
            email=email,
            email_registered_at=clock.now() if email else None,
            created_by=actor.staff_id,
        )
        if dupes:
            audit(actor, "patron-add", card, duplicate_confirmed=True)
        else:
            audit(actor, "patron-add", card)
    return patron


def web_status(patron: models.Patron) -> dict:
    account = models.WebAccount.get_or_none(models.WebAccount.patron == patron.id)
    if account is None:
        status = "none"
    elif account.locked:
        status = "locked"
    elif account.temporary:
        status = "temporary"
    else:
        status = "active"
    return {
        "status": status,
        "email": mask_email(patron.email),
        "expires": account.expires_at.date().isoformat() if account and account.temporary and account.expires_at else None,
        "last_login": account.last_login_at.date().isoformat() if account and account.last_login_at else None,
    }


def loans_of(patron: models.Patron, today: date | None = None) -> list[dict]:
    today = today or clock.today()
    rows = (
        models.Loan.select(models.Loan, models.Item, models.Bib)
        .join(models.Item)
        .join(models.Bib)
        .where(models.Loan.patron == patron.id)
        .order_by(models.Loan.due, models.Item.barcode)
    )
    return [
        {
            "barcode": ln.item.barcode,
            "bib_id": ln.item.bib.id,
            "title": ln.item.bib.title,
            "material_type": ln.item.bib.material_type,
            "loaned_on": ln.loaned_on.isoformat(),
            "due": ln.due.isoformat(),
            "renewals": ln.renewals,
            "overdue": ln.due < today,
        }
        for ln in rows
    ]


def hold_position(hold: models.Hold) -> int | None:
    """1-based place in the title's queue of waiting holds (None once a copy is assigned)."""
    if hold.status != "waiting":
        return None
    ahead = models.Hold.select().where(
        (models.Hold.bib == hold.bib_id)
        & (models.Hold.status == "waiting")
        & (
            (models.Hold.queued_at < hold.queued_at)
            | ((models.Hold.queued_at == hold.queued_at) & (models.Hold.id < hold.id))
        )
    ).count()
    return ahead + 1


def holds_of(patron: models.Patron) -> list[dict]:
    rows = (
        models.Hold.select(models.Hold, models.Bib, models.ServicePoint)
        .join(models.Bib)
        .switch(models.Hold)
        .join(models.ServicePoint, on=(models.Hold.pickup == models.ServicePoint.id))
        .where((models.Hold.patron == patron.id) & (models.Hold.status.in_(OPEN_HOLDS)))
        .order_by(models.Hold.queued_at, models.Hold.id)
    )
    return [
        {
            "id": h.id,
            "bib_id": h.bib.id,
            "title": h.bib.title,
            "status": h.status,
            "position": hold_position(h),
            "pickup": h.pickup.code,
            "deadline": h.deadline.isoformat() if h.deadline else None,
        }
        for h in rows
    ]


def patron_summary(raw_card: str) -> dict:
    """What the desk sees for a patron: details, loans, holds, web account."""
    patron = get_patron(raw_card)
    return {
        "card": patron.card,
        "name": patron.name,
        "kana": patron.kana,
        "birth_date": patron.birth_date.isoformat(),
        "phone": patron.phone,
        "blocked": patron.blocked,
        "loans": loans_of(patron),
        "holds": holds_of(patron),
        "web": web_status(patron),
    }

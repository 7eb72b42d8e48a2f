"""貸出: loan period, due date and whether an item may be lent to a patron now.

Pure: the service gathers the facts (:class:`CheckoutFacts`), the settings
(:class:`LoanRules`) and the lending point's :class:`~policies.calendar.Calendar`.

Checkout refusal codes (stable; the command line prints them, screens show the Japanese):

=========================  ====================================================================
``unknown-item``           no item has this barcode (decided by the service)
``patron-withdrawn``       the card was withdrawn (退会)
``patron-blocked``         the patron is blocked from borrowing (貸出停止)
``already-on-loan-to-you`` this patron already has the item (scanned twice)
``on-loan``                the item is on loan to someone else
``in-transit``             the item is travelling between service points (回送中)
``item-missing``           the item is recorded as missing: check it in first
``item-withdrawn``         the item was withdrawn from the collection (除籍)
``limit-reached``          the patron already has ``max_items`` loans
``av-limit-reached``       the patron already has ``max_av`` DVD/CD loans
``held-for-another``       reserved and set aside for another patron (from reservations)
``held-at-other-point``    on the hold shelf of another service point: lend it at the pickup point
``hold-not-ready``         reserved by this patron but not yet ready at the counter
``hold-not-notified``      ready, but the patron has not been told yet (lend only after notice)
=========================  ====================================================================

Overdue loans do NOT stop a checkout: the library's rules forbid only *renewal* while a patron
has overdue items. The counter sees the warning ``patron-overdue`` (:data:`WARNINGS`) so staff
can ask for the overdue items back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from policies.calendar import Calendar, due_after

MATERIAL_TYPES = ("book", "magazine", "dvd", "cd")
AV_TYPES = frozenset({"dvd", "cd"})

CHECKOUT_REASONS: dict[str, str] = {
    "unknown-item": "このバーコードの資料は登録されていません。",
    "patron-withdrawn": "この利用者カードは退会済みです。",
    "patron-blocked": "この利用者は貸出停止中です。",
    "already-on-loan-to-you": "この利用者にすでに貸出中です。",
    "on-loan": "他の利用者に貸出中の資料です。",
    "in-transit": "回送中の資料です。届いてから貸し出してください。",
    "item-missing": "不明資料として登録されています。先に返却処理をしてください。",
    "item-withdrawn": "除籍された資料です。",
    "limit-reached": "貸出点数の上限に達しています。",
    "av-limit-reached": "DVD・CDの貸出点数の上限に達しています。",
    "held-for-another": "他の利用者の予約のために取り置いている資料です。",
    "held-at-other-point": "別のサービスポイントの取置棚にある資料です。受取館で貸し出してください。",
    "hold-not-ready": "予約の取り置き準備がまだできていません。",
    "hold-not-notified": "予約の連絡（用意ができた旨）をまだ送っていません。連絡後に貸し出せます。",
}

WARNINGS: dict[str, str] = {
    "patron-overdue": "返却期限を過ぎた資料があります。返却をお願いしてください（延滞中は延長できません）。",
}


def reason_text(code: str) -> str:
    return CHECKOUT_REASONS.get(code) or WARNINGS.get(code) or code


@dataclass(frozen=True)
class LoanRules:
    """Loan periods (days by material type) and the per-patron limits, from settings."""

    loan_days: dict[str, int]
    max_items: int = 10
    max_av: int = 3

    def period(self, material_type: str) -> int:
        """Loan period in days; an unknown material type gets the book period."""
        return self.loan_days.get(material_type, self.loan_days.get("book", 14))


def due_date(rules: LoanRules, calendar: Calendar, material_type: str, today: date) -> date:
    """Due date of a loan made (or renewed) today: today + period, past closed days."""
    return due_after(calendar, today, rules.period(material_type))


@dataclass(frozen=True)
class CheckoutFacts:
    """What checkout needs to know, gathered by the service inside its transaction."""

    item_status: str  # models.Item.STATUSES
    material_type: str
    loaned_to_patron: bool  # the item's open loan belongs to this patron
    patron_blocked: bool
    patron_withdrawn: bool
    patron_loans: int  # open loans of the patron now
    patron_av_loans: int  # of which DVD/CD
    held_elsewhere: bool = False  # on the hold shelf of a point other than the lending one


def checkout_reasons(facts: CheckoutFacts, rules: LoanRules) -> list[str]:
    """Every circulation reason why the item cannot be lent now ([] = it can). Reservation
    reasons come from the reservations rules and are added by the service."""
    reasons: list[str] = []
    if facts.patron_withdrawn:
        reasons.append("patron-withdrawn")
    if facts.patron_blocked:
        reasons.append("patron-blocked")
    status = facts.item_status
    if status == "on-loan":
        reasons.append("already-on-loan-to-you" if facts.loaned_to_patron else "on-loan")
    elif status == "in-transit":
        reasons.append("in-transit")
    elif status == "on-hold-shelf" and facts.held_elsewhere:
        reasons.append("held-at-other-point")
    elif status == "missing":
        reasons.append("item-missing")
    elif status == "withdrawn":
        reasons.append("item-withdrawn")
    if status != "on-loan" or not facts.loaned_to_patron:
        if facts.patron_loans >= rules.max_items:
            reasons.append("limit-reached")
        if facts.material_type in AV_TYPES and facts.patron_av_loans >= rules.max_av:
            reasons.append("av-limit-reached")
    return reasons

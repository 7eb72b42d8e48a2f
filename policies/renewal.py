"""延長: whether a loan may be renewed, with EVERY reason that applies, and the new due date.

The one rule for all channels (counter, telephone, web). A loan may be renewed only when all
of these hold; each failed condition is one stable code:

==================  ============================================================================
``not-owned``       the item is borrowed from another library (相互貸借)
``material-type``   magazines (雑誌), DVDs and CDs are not renewed
``patron-overdue``  the patron has another loan past its due date (延滞資料)
``title-reserved``  someone is waiting for the title (予約あり)
``already-renewed`` the loan was renewed before (延長は1回のみ)
``past-due``        the loan itself is past its due date; renewing ON the due date is allowed
==================  ============================================================================

``patron-overdue`` counts the patron's *other* loans: a loan that is itself late already says
``past-due``, and the patron then hears that reason once, not twice.

New due date = renewal day + loan period of the material type, moved past the lending point's
closed days (:func:`policies.loans.due_date`) — but never earlier than the current due date: a
renewal only ever keeps or extends a loan (a renewal on the day of lending, or with a clock set
back, must not shorten it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from policies.calendar import Calendar
from policies.loans import LoanRules, due_date

NOT_RENEWABLE_TYPES = frozenset({"magazine", "dvd", "cd"})
MAX_RENEWALS = 1

# Order = the order a patron hears them.
RENEWAL_REASONS: dict[str, str] = {
    "not-owned": "他の図書館から借りている資料のため延長できません。",
    "material-type": "雑誌・DVD・CDは延長できません。",
    "patron-overdue": "返却期限を過ぎた資料があるため延長できません。先にご返却ください。",
    "title-reserved": "次の方の予約が入っているため延長できません。",
    "already-renewed": "延長は1回のみです。すでに延長済みです。",
    "past-due": "返却期限を過ぎているため延長できません。",
}

# Short labels for lists where a full sentence does not fit.
RENEWAL_SHORT: dict[str, str] = {
    "not-owned": "他館資料",
    "material-type": "雑誌・DVD・CD",
    "patron-overdue": "延滞あり",
    "title-reserved": "予約あり",
    "already-renewed": "延長済み",
    "past-due": "期限切れ",
}


@dataclass(frozen=True)
class RenewalFacts:
    """One loan as the renewal rule sees it."""

    due: date
    renewals: int
    owned: bool
    material_type: str
    title_waiting: int  # open reservations for the title
    other_overdue: int  # the patron's other loans past due


@dataclass(frozen=True)
class RenewalPreview:
    renewable: bool
    reasons: list[str]
    renewable_until: date | None  # last day a renewal is accepted (the current due date)
    new_due: date | None  # due date if renewed today

    def texts(self) -> list[str]:
        return [RENEWAL_REASONS[c] for c in self.reasons]

    def summary(self) -> str:
        """One Japanese sentence for the screen or the telephone."""
        if self.renewable:
            return (
                f"{self.renewable_until:%Y年%m月%d日}まで延長できます。"
                f"今日延長すると新しい返却期限は{self.new_due:%Y年%m月%d日}です。"
            )
        return "延長できません: " + " ".join(self.texts())


def renewal_reasons(facts: RenewalFacts, today: date) -> list[str]:
    """Every reason the loan cannot be renewed today, in the order of :data:`RENEWAL_REASONS`
    ([] = renewable)."""
    found = {
        "not-owned": not facts.owned,
        "material-type": facts.material_type in NOT_RENEWABLE_TYPES,
        "patron-overdue": facts.other_overdue > 0,
        "title-reserved": facts.title_waiting > 0,
        "already-renewed": facts.renewals >= MAX_RENEWALS,
        "past-due": today > facts.due,
    }
    return [code for code in RENEWAL_REASONS if found[code]]


def renewed_due(rules: LoanRules, calendar: Calendar, material_type: str, today: date, current_due: date) -> date:
    """The due date a renewal made today gives: today + period, past closed days, and never
    earlier than ``current_due``."""
    return max(current_due, due_date(rules, calendar, material_type, today))


def preview(facts: RenewalFacts, rules: LoanRules, calendar: Calendar, today: date) -> RenewalPreview:
    """"Renewable until …, new due date would be …" — or every reason why not."""
    reasons = renewal_reasons(facts, today)
    if reasons:
        return RenewalPreview(False, reasons, None, None)
    return RenewalPreview(True, [], facts.due, renewed_due(rules, calendar, facts.material_type, today, facts.due))


def reason_text(code: str) -> str:
    return RENEWAL_REASONS.get(code, code)

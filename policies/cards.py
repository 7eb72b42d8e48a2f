"""利用者カード番号: 7 digits. Keyboards and scanners send full-width digits, spaces and
hyphens; those are folded away, anything else is refused with a reason."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

CARD_LENGTH = 7
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−ー－_]+")


@dataclass(frozen=True)
class CardCheck:
    card: str | None
    reason: str | None = None  # stable code
    message: str = ""  # Japanese, for the screen


def normalize_card(raw: str | None) -> CardCheck:
    """Return the 7-digit card number, or the reason it is not one.

    >>> normalize_card("１２３ ４５-６７").card
    '1234567'
    """
    text = unicodedata.normalize("NFKC", raw or "")
    text = _SEPARATORS.sub("", text)
    if not text:
        return CardCheck(None, "empty-card", "利用者カード番号を入力してください。")
    if not text.isascii() or not text.isdigit():
        return CardCheck(None, "invalid-card", "利用者カード番号は数字7桁です（文字が含まれています）。")
    if len(text) != CARD_LENGTH:
        return CardCheck(
            None, "invalid-card", f"利用者カード番号は数字7桁です（入力は{len(text)}桁）。"
        )
    return CardCheck(text)


def normalize_barcode(raw: str | None) -> str:
    """Fold a scanned or typed item barcode: NFKC, no spaces, upper case."""
    text = unicodedata.normalize("NFKC", raw or "")
    return re.sub(r"\s+", "", text).upper()

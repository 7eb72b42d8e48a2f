"""Guard against identity-document numbers in free text.

A My Number (個人番号) is 12 digits. Staff record only the TYPE of document they checked, so
any text field holding a run of 12 or more digits — typed with or without spaces, hyphens or
dots between the groups, in half- or full-width — is refused before it can be stored, logged,
printed or mailed. Japanese telephone numbers have at most 11 digits, so none is caught.
"""

from __future__ import annotations

import re
import unicodedata

ID_NUMBER_DIGITS = 12
# Digits joined by at most one separator each (space, hyphen of any kind, dot, slash-less).
_RUN = re.compile(r"\d(?:[\s\-‐‑‒–—―−ー－_.・]?\d)*")


def longest_digit_run(text: str | None) -> int:
    """How many digits the longest separator-joined run of digits in ``text`` holds."""
    s = unicodedata.normalize("NFKC", text or "").replace("\u3000", " ")
    return max((sum(c.isdigit() for c in m.group()) for m in _RUN.finditer(s)), default=0)


def looks_like_id_number(text: str | None) -> bool:
    """True when ``text`` holds 12 or more digits in one run (an individual number or the like)."""
    return longest_digit_run(text) >= ID_NUMBER_DIGITS

"""Temporary web passwords (仮パスワード): random, easy to read off a slip.

Made with :mod:`secrets` from an alphabet without characters that look alike on paper or on a
screen: 0/O/o, 1/l/I/i, 2/Z, 5/S, 8/B, 9/g/q, and lower-case letters shaped like their capitals
(c k p u v w x y z). At least one upper-case letter, one lower-case letter and one digit
(37 symbols, so 12 characters carry about 62 bits). Shown in groups of four; the groups' separators are not part of the password.
"""

from __future__ import annotations

import re
import secrets

MIN_LENGTH = 12
GROUP = 4
UPPER = "ACDEFGHJKLMNPQRTUVWXY"
LOWER = "abdefhjmnrt"
DIGITS = "34679"
ALPHABET = UPPER + LOWER + DIGITS
LOOK_ALIKES = "0Oo1lIi2Z5S8Bgqckpuvwxyz"


def generate(length: int = MIN_LENGTH) -> str:
    """A new temporary password of ``length`` (at least 12) characters."""
    length = max(MIN_LENGTH, int(length))
    while True:
        pw = "".join(secrets.choice(ALPHABET) for _ in range(length))
        if any(c in UPPER for c in pw) and any(c in LOWER for c in pw) and any(c in DIGITS for c in pw):
            return pw


def grouped(password: str, sep: str = " ") -> str:
    """``AbC3dEf4gHj6`` → ``AbC3 dEf4 gHj6`` for reading aloud and typing."""
    return sep.join(password[i : i + GROUP] for i in range(0, len(password), GROUP))


def ungroup(typed: str) -> str:
    """What a patron typed from a grouped slip, without the group separators."""
    return re.sub(r"[\s\-‐－]+", "", typed or "")


def char_kind(ch: str) -> str:
    """大 (upper case), 小 (lower case) or 数 (digit): printed under each character."""
    if ch in DIGITS:
        return "数"
    return "大" if ch.isupper() else "小"

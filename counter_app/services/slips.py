"""Printed slips (receipts, transit slips, temporary-password slips) for an 80 mm printer.

With ``LIBRARY_PRINT_COMMAND`` set (e.g. ``lp -d receipt``) the slip is piped to it; otherwise,
or when the printer fails, it is written as a text file into ``LIBRARY_SPOOL_DIR``.

Spooled slips name patrons, titles and — for the web service — a temporary password, so the
spool folder is made private (0700) and every slip file is created readable by its owner only
(0600). The folder is then the print queue: slips must be printed and deleted; :func:`purge`
(``counter-app slips purge``, and ``counter-app daily`` for password slips) deletes old ones.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from counter_app import clock
from counter_app.config import settings

WIDTH = 42  # half-width columns on an 80 mm receipt printer (a kanji counts two)
DIR_MODE = 0o700
FILE_MODE = 0o600
PASSWORD_SLIP = "web-password"
_SPOOLED = re.compile(r"^(\d{8}-\d{6})-([a-z-]+)-\d+\.txt$")  # what print_slip writes


@dataclass(frozen=True)
class SlipResult:
    printed: bool
    path: Path | None
    message: str  # Japanese, for the screen


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def center(text: str, width: int = WIDTH) -> str:
    pad = max(0, width - display_width(text))
    return " " * (pad // 2) + text


def rule(char: str = "-", width: int = WIDTH) -> str:
    return char * width


def print_slip(kind: str, text: str) -> SlipResult:
    """Send a slip to the printer, or spool it. Never raises for a printer problem."""
    cfg = settings()
    if cfg.print_command:
        try:
            subprocess.run(
                shlex.split(cfg.print_command), input=text.encode("utf-8"), check=True,
                timeout=20, capture_output=True,
            )
            return SlipResult(True, None, "印刷しました。")
        except (OSError, subprocess.SubprocessError):
            pass  # fall through to the spool so the slip is not lost
    spool = private_spool_dir()
    stamp = clock.now().strftime("%Y%m%d-%H%M%S")
    n = 1
    while True:
        path = spool / f"{stamp}-{kind}-{n}.txt"
        try:  # created 0600 from the start: never readable by others, not even for a moment
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        except FileExistsError:
            n += 1
            continue
        break
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, FILE_MODE)  # in case the file system ignored the mode
    note = "プリンタに送れなかったため" if cfg.print_command else ""
    return SlipResult(False, path, f"{note}伝票をファイルに保存しました（印刷したら削除してください）: {path}")


def private_spool_dir() -> Path:
    """The spool folder, created if need be and (re)set to owner-only access."""
    spool = settings().spool_dir
    spool.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    os.chmod(spool, DIR_MODE)
    return spool


def purge(older_than_days: float = 1, kind: str | None = None, now: datetime | None = None) -> dict:
    """Delete spooled slips (of ``kind``, or every kind) written ``older_than_days`` days ago
    or earlier, judged by the time in the file name. Other files in the folder are left alone."""
    spool = settings().spool_dir
    cutoff = (now or clock.now()) - timedelta(days=older_than_days)
    deleted = kept = 0
    if spool.is_dir():
        for path in sorted(spool.iterdir()):
            m = _SPOOLED.match(path.name)
            if not m or not path.is_file() or (kind and m.group(2) != kind):
                continue
            if datetime.strptime(m.group(1), "%Y%m%d-%H%M%S") <= cutoff:
                path.unlink(missing_ok=True)
                deleted += 1
            else:
                kept += 1
    return {"ok": True, "deleted": deleted, "kept": kept, "spool_dir": str(spool)}

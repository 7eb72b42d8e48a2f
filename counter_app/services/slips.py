"""Printed slips (receipts, transit slips, temporary-password slips) for an 80 mm printer.

With ``LIBRARY_PRINT_COMMAND`` set (e.g. ``lp -d receipt``) the slip is piped to it; otherwise,
or when the printer fails, it is written as a text file into ``LIBRARY_SPOOL_DIR``.
"""

from __future__ import annotations

import shlex
import subprocess
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from counter_app import clock
from counter_app.config import settings

WIDTH = 42  # half-width columns on an 80 mm receipt printer (a kanji counts two)


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
    spool = cfg.spool_dir
    spool.mkdir(parents=True, exist_ok=True)
    stamp = clock.now().strftime("%Y%m%d-%H%M%S")
    n = 1
    while (path := spool / f"{stamp}-{kind}-{n}.txt").exists():
        n += 1
    path.write_text(text, encoding="utf-8")
    note = "プリンタに送れなかったため" if cfg.print_command else ""
    return SlipResult(False, path, f"{note}伝票をファイルに保存しました: {path}")

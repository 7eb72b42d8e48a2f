"""Settings: defaults from ``data/settings.toml``, overridden by ``LIBRARY_*`` variables.

``.env`` in the working directory is read once (python-dotenv) without overriding variables
that are already set, so a test or a shell can always win.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from dotenv import load_dotenv

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(Exception):
    """A setting has a value the product cannot use."""


def data_dir() -> Path:
    return Path(os.environ.get("LIBRARY_DATA_DIR") or PROJECT_ROOT / "data")


def _int(name: str, default: int, lo: int = 0, hi: int = 10**6) -> int:
    """An integer setting within [lo, hi]; a value outside it is a configuration error, not a
    silent clamp (a loan period of -5 days must never lend anything)."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        value = int(default)
    else:
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{name} は整数で指定してください（いま: {raw!r}）") from None
    if not lo <= value <= hi:
        raise ConfigError(f"{name} は {lo} 以上 {hi} 以下で指定してください（いま: {value}）")
    return value


def _str(name: str, default: str) -> str:
    raw = os.environ.get(name)
    return default if raw is None or raw.strip() == "" else raw.strip()


@dataclass(frozen=True)
class Settings:
    db_url: str
    library_name: str
    web_url: str
    mail_from: str
    loan_days: dict[str, int]
    max_items: int
    max_av: int
    max_holds: int
    pickup_days: int
    temp_password_days: int
    temp_password_length: int
    year_end_from: str
    year_end_to: str
    terminal_point: str
    print_command: str
    spool_dir: Path
    smtp: dict[str, str] = field(default_factory=dict)
    mail: dict[str, int] = field(default_factory=dict)  # delivery of notices (data/settings.toml [mail])


def load_env() -> None:
    """Read ``.env`` from the working directory (never overriding the real environment)."""
    load_dotenv(Path.cwd() / ".env", override=False)


@lru_cache(maxsize=1)
def _defaults() -> dict:
    path = data_dir() / "settings.toml"
    with path.open("rb") as fh:
        return tomllib.load(fh)


def settings() -> Settings:
    """The settings in force now (environment read on every call; cheap)."""
    d = _defaults()
    loans, holds, web, cal, lib = d["loans"], d["holds"], d["web"], d["calendar"], d["library"]
    return Settings(
        db_url=_str("LIBRARY_DB", "sqlite:///library.db"),
        library_name=_str("LIBRARY_NAME", lib["name"]),
        web_url=_str("LIBRARY_WEB_URL", lib["web_url"]),
        mail_from=_str("LIBRARY_MAIL_FROM", lib["mail_from"]),
        loan_days={
            t: _int(f"LIBRARY_LOAN_DAYS_{t.upper()}", loans[f"{t}_days"], 1, 365)
            for t in ("book", "magazine", "dvd", "cd")
        },
        max_items=_int("LIBRARY_MAX_LOANS", loans["max_items"], 1, 200),
        max_av=_int("LIBRARY_MAX_AV_LOANS", loans["max_av"], 0, 200),
        max_holds=_int("LIBRARY_MAX_HOLDS", holds["max_holds"], 0, 200),
        pickup_days=_int("LIBRARY_PICKUP_DAYS", holds["pickup_days"], 1, 60),
        temp_password_days=_int("LIBRARY_TEMP_PASSWORD_DAYS", web["temp_password_days"], 1, 365),
        temp_password_length=_int("LIBRARY_TEMP_PASSWORD_LENGTH", web["temp_password_length"], 12, 64),
        year_end_from=_str("LIBRARY_YEAR_END_FROM", cal["year_end_from"]),
        year_end_to=_str("LIBRARY_YEAR_END_TO", cal["year_end_to"]),
        terminal_point=_str("LIBRARY_TERMINAL_POINT", "KIT").upper(),
        print_command=_str("LIBRARY_PRINT_COMMAND", ""),
        spool_dir=Path(_str("LIBRARY_SPOOL_DIR", "spool")),
        smtp={
            "host": _str("LIBRARY_SMTP_HOST", "localhost"),
            "port": _str("LIBRARY_SMTP_PORT", "25"),
            "tls": _str("LIBRARY_SMTP_TLS", "none"),
            "user": _str("LIBRARY_SMTP_USER", ""),
            "password": os.environ.get("LIBRARY_SMTP_PASSWORD", ""),
        },
        mail={
            key: _int(f"LIBRARY_MAIL_{key.upper()}", default, 0 if key in ("keep_sent_days", "claim_timeout_seconds") else 1, 10**6)
            for key, default in {
                "max_attempts": 12,
                "retry_base_seconds": 60,
                "retry_cap_seconds": 3600,
                "claim_timeout_seconds": 300,
                "smtp_timeout_seconds": 20,
                "watch_interval_seconds": 30,
                "keep_sent_days": 14,
                **d.get("mail", {}),
            }.items()
        },
    )

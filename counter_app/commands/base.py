"""Helpers shared by the sub-commands: JSON output, reading secrets from stdin, and the staff
member named by ``--staff`` for the audit trail."""

from __future__ import annotations

import getpass
import json
import sys


def emit(data, as_json: bool, text: str | None = None) -> None:
    """Print one JSON document, or the human text."""
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
    elif text is not None:
        sys.stdout.write(text.rstrip("\n") + "\n")


def read_secret(prompt: str) -> str:
    """A password: asked twice on a terminal, read as one line from a pipe."""
    if sys.stdin is not None and sys.stdin.isatty():
        first = getpass.getpass(prompt)
        again = getpass.getpass("もう一度: ")
        if first != again:
            raise SystemExit("パスワードが一致しません。")
        return first
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line.rstrip("\r\n")


def open_db(args) -> None:
    """Open the database named by ``--db``/``LIBRARY_DB``; it must have been made by ``init``."""
    import os

    import models
    from counter_app.services import InvalidInput, points

    url = args.db
    if url.startswith("sqlite:///") or "://" not in url:
        path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else url
        if path != ":memory:" and not os.path.exists(path):
            raise InvalidInput(
                "no-database",
                f"データベース {path} がありません。先に counter-app init --db {url} を実行してください。",
            )
    models.open_database(url)
    points.forget_cache()
    version = models.schema_version()
    if version == 0:
        raise InvalidInput("no-schema", "データベースが初期化されていません。counter-app init を実行してください。")
    if version < models.SCHEMA_VERSION:
        raise InvalidInput("old-schema", "データベースの版が古いです。counter-app init で更新してください。")
    if version > models.SCHEMA_VERSION:
        raise InvalidInput("new-schema", "データベースがこのプログラムより新しい版です。プログラムを更新してください。")


def add_staff_option(parser, help: str = "処理した職員のログインID（監査記録用）") -> None:
    parser.add_argument("--staff", metavar="LOGIN", help=help)


def actor_from(args, channel: str = "cli"):
    """``--staff LOGIN`` names the staff member for the audit trail (and the loan's staff);
    without it the command line acts. An unknown or inactive login is refused
    (``unknown-staff``). Call after :func:`open_db`."""
    import models
    from counter_app.services import Actor, InvalidInput

    login = (getattr(args, "staff", None) or "").strip()
    if not login:
        return Actor(None, channel)
    staff = models.Staff.get_or_none((models.Staff.login == login) & (models.Staff.active == True))  # noqa: E712
    if staff is None:
        raise InvalidInput("unknown-staff", "その職員ログインIDは登録されていません。")
    return Actor(staff.id, channel, staff.name)

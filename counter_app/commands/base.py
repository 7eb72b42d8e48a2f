"""Helpers shared by the sub-commands: JSON output and reading secrets from stdin."""

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

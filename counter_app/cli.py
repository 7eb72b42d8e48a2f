"""``counter-app``: the command line. Every command accepts ``--db URL``; ``--json`` prints one
JSON document. A refusal exits 3 with reason codes; any other error prints one line on stderr
and exits 1 (2 for wrong usage). Never a traceback in front of a user."""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import re
import sys

from counter_app import __version__, clock
from counter_app.clock import ClockError
from counter_app.commands import MODULES
from counter_app.config import ConfigError, load_env, settings
from counter_app.services import ServiceError

log = logging.getLogger("counter_app")


_USAGE_ERRORS = [
    (re.compile(r"the following arguments are required: (.+)"), lambda m: f"必要な引数がありません: {m[1]}"),
    (re.compile(r"argument (\S+): invalid choice: .*?\(choose from (.+)\)"),
     lambda m: f"{m[1]} に使える値は {m[2]} です"),
    (re.compile(r"argument (\S+): invalid int value: .*"), lambda m: f"{m[1]} は整数で指定してください"),
    (re.compile(r"argument (\S+): expected one argument"), lambda m: f"{m[1]} には値が必要です"),
    (re.compile(r"argument (\S+): (.*)"), lambda m: f"{m[1]} の指定が正しくありません"),
    # Never echo what was typed: a stray argument may be an identity-document number.
    (re.compile(r"unrecognized arguments.*"), lambda m: "余分な引数があります（値に空白が含まれるときは引用符で囲んでください）"),
]


def _japanese_usage_error(message: str) -> str:
    for pattern, text in _USAGE_ERRORS:
        m = pattern.match(message)
        if m:
            return text(m)
    return message


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # Japanese, one line, exit 2
        message = _japanese_usage_error(message)
        self.exit(2, f"{self.prog}: 使い方が違います: {message}\n（{self.prog} --help で使い方を表示）\n")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="URL", default=argparse.SUPPRESS, help="データベースURL（既定: LIBRARY_DB か sqlite:///library.db）")
    parser = _Parser(prog="counter-app", description="杵築市立図書館 カウンター端末", parents=[common])
    parser.add_argument("--version", action="version", version=f"counter-app {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    for name in MODULES:
        importlib.import_module(f"counter_app.commands.{name}").register(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    load_env()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        # Bare ``counter-app`` starts the app.
        db = getattr(args, "db", None)
        args = parser.parse_args(["tui", *([f"--db={db}"] if db else [])])
    as_json = getattr(args, "json", False)
    try:
        cfg = settings()  # a wrong setting or LIBRARY_TODAY stops here, before any screen opens
        clock.today()
        if not getattr(args, "db", None):
            args.db = cfg.db_url
        result = args.func(args)
        return int(result or 0)
    except ServiceError as exc:
        if as_json:
            sys.stdout.write(json.dumps(exc.as_json(), ensure_ascii=False) + "\n")
        print(f"counter-app: {exc.message}", file=sys.stderr)
        return exc.exit_status
    except (ConfigError, ClockError) as exc:
        print(f"counter-app: 設定の誤り: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("counter-app: 中断しました。", file=sys.stderr)
        return 130
    except Exception as exc:  # the last line of defence: one line, no traceback
        from models import DatabaseError

        if isinstance(exc, DatabaseError):
            print(f"counter-app: {exc}", file=sys.stderr)
            return 1
        log.debug("unexpected error", exc_info=True)
        name = type(exc).__name__
        print(f"counter-app: 処理できませんでした（{name}: {exc}）", file=sys.stderr)
        return 1

"""notices send / notices list, and patron set-email (registered from commands/patron.py)."""

from __future__ import annotations

import signal
import sys
import threading

from counter_app.commands.base import emit, open_db
from counter_app.config import ConfigError, settings
from counter_app.services import CLI, mailer, notices


def register(sub, common) -> None:
    p = sub.add_parser("notices", help="メール通知")
    nsub = p.add_subparsers(dest="notices_command", required=True)

    s = nsub.add_parser("send", parents=[common], help="送信待ちの通知をSMTPで送る（1回）")
    s.add_argument("--all", action="store_true", help="再試行の待ち時間を無視して送信待ちをすべて送る")
    s.add_argument("--watch", action="store_true", help="Ctrl+C まで送信を繰り返す")
    s.add_argument("--interval", type=float, default=None, metavar="SEC", help="--watch の間隔（秒）")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_send)

    s = nsub.add_parser("list", parents=[common], help="通知の一覧（新しい順）")
    s.add_argument("--status", choices=("pending", "sending", "sent", "failed"))
    s.add_argument("--limit", type=int, default=200)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_list)

    s = nsub.add_parser("retry", parents=[common], help="送信失敗の通知を送信待ちに戻す（宛先の修正も可）")
    s.add_argument("id", type=int)
    s.add_argument(
        "--to", metavar="ADDRESS",
        help="新しい宛先（利用者の登録アドレスが元の宛先なら、登録アドレスも変更して変更完了のお知らせを送る）",
    )
    s.add_argument("--yes", action="store_true", help="登録アドレスをフリーメールに変更してもよい（利用者に確認済み）")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_retry)


def register_set_email(psub, common) -> None:
    """``patron set-email`` (called from commands/patron.py)."""
    s = psub.add_parser("set-email", parents=[common], help="利用者の連絡先メールアドレスを登録・変更する")
    s.add_argument("card")
    s.add_argument("address")
    s.add_argument("--yes", action="store_true", help="フリーメールでも登録する（利用者に確認済み）")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_set_email)


def cmd_send(args) -> int:
    open_db(args)
    if not args.watch:
        report = mailer.send_pass(all_due=args.all)
        emit(report, args.json, _summary(report))
        if not report["ok"]:  # "ok" is false exactly when the pass stopped on an error
            # The server could not be used: nothing is lost (the notices wait), but say so.
            print(f"counter-app: {report['error']}", file=sys.stderr)
            return 1
        return 0
    interval = args.interval if args.interval is not None else settings().mail["watch_interval_seconds"]
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if not args.json:
        print(f"通知の送信を続けます（{interval:g} 秒ごと、Ctrl+C で終了）。", file=sys.stderr)
    total = mailer.PassReport()
    try:
        first = True
        while not stop.is_set():
            try:
                report = mailer.send_pass(all_due=args.all and first)
            except ConfigError:
                raise
            except Exception as exc:  # e.g. the database busy for too long: try again next time
                print(f"counter-app: 送信処理を中断しました（{type(exc).__name__}: {exc}）。次の回に再試行します。", file=sys.stderr)
                _pause(stop, interval)
                continue
            first = False
            for key in ("sent", "retrying", "failed", "rejected", "stopped"):
                setattr(total, key, getattr(total, key) + report[key])
            if args.json:
                emit(report, True)
            elif any(report[k] for k in ("sent", "retrying", "failed", "rejected", "stopped")) or report["error"]:
                print(_summary(report) + (f"（{report['error']}）" if report["error"] else ""))
            sys.stdout.flush()
            _pause(stop, interval)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    if not args.json:
        print(f"終了しました。合計 {total.summary()}", file=sys.stderr)
    return 0


def _pause(stop: threading.Event, seconds: float) -> None:
    """The pause between passes of --watch (ends early on SIGTERM)."""
    stop.wait(seconds)


def _summary(report: dict) -> str:
    text = (
        f"送信 {report['sent']} 件 / 再試行待ち {report['retrying']} 件 / 失敗 {report['failed']} 件 / "
        f"宛先不通 {report['rejected'] + report['stopped']} 件"
    )
    return text


def cmd_list(args) -> int:
    open_db(args)
    rows = notices.list_notices(args.status, args.limit)
    lines = [f"{len(rows)} 件"] + [
        f"{r['id']:>6} {notices.STATUS_JA.get(r['status'], r['status'])} 試行{r['attempts']} {r['to']} {r['subject']}" for r in rows
    ]
    emit(rows, args.json, "\n".join(lines))
    return 0


def cmd_retry(args) -> int:
    open_db(args)
    result = notices.retry_notice(args.id, args.to, CLI, confirm_freemail=args.yes)
    emit(result, args.json, "\n".join([result["message"], *result["notes"]]))
    return 0


def cmd_set_email(args) -> int:
    open_db(args)
    result = notices.set_email(args.card, args.address, CLI, confirm_freemail=args.yes)
    emit(result, args.json, "\n".join([result["message"], *result["notes"]]))
    return 0

"""slips purge: delete spooled slips (the spool folder is the print queue when no printer is set)."""

from __future__ import annotations

from counter_app.commands.base import emit
from counter_app.services import InvalidInput, slips


def register(sub, common) -> None:
    p = sub.add_parser("slips", help="伝票（spool フォルダ）")
    ssub = p.add_subparsers(dest="slips_command", required=True)
    s = ssub.add_parser("purge", parents=[common], help="spool フォルダに保存された伝票を削除する")
    s.add_argument(
        "--older-than-days", type=float, default=1, metavar="N",
        help="N 日以上前に保存した伝票を削除する（既定 1。0 ですべて）",
    )
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_purge)


def cmd_purge(args) -> int:
    days = args.older_than_days
    if not days >= 0:  # also NaN
        raise InvalidInput("invalid-days", "--older-than-days には 0 以上の日数を指定してください。")
    result = slips.purge(days)
    emit(result, args.json, f"伝票を {result['deleted']} 件削除しました（残り {result['kept']} 件）: {result['spool_dir']}")
    return 0

"""patron show."""

from __future__ import annotations

from counter_app.commands.base import emit, open_db
from counter_app.services import patrons


def register(sub, common) -> None:
    p = sub.add_parser("patron", help="利用者")
    psub = p.add_subparsers(dest="patron_command", required=True)
    s = psub.add_parser("show", parents=[common], help="利用者の情報・貸出・予約を表示する")
    s.add_argument("card")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_show)

    from counter_app.commands.notices import register_set_email

    register_set_email(psub, common)


def cmd_show(args) -> int:
    open_db(args)
    info = patrons.patron_summary(args.card)
    lines = [f"{info['card']} {info['name']}（{info['kana']}）", f"貸出 {len(info['loans'])} 件 / 予約 {len(info['holds'])} 件"]
    lines += [f"  貸出 {ln['barcode']} {ln['title']} 返却期限 {ln['due']}" for ln in info["loans"]]
    lines += [f"  予約 {h['id']} {h['title']} {h['status']}" for h in info["holds"]]
    emit(info, args.json, "\n".join(lines))
    return 0

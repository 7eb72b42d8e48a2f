"""patron show, patron add."""

from __future__ import annotations

from counter_app.commands.base import actor_from, emit, open_db
from counter_app.services import Refused, patrons
from policies.registration import parse_birth


def register(sub, common) -> None:
    p = sub.add_parser("patron", help="利用者")
    psub = p.add_subparsers(dest="patron_command", required=True)
    s = psub.add_parser("show", parents=[common], help="利用者の情報・貸出・予約を表示する")
    s.add_argument("card")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_show)

    a = psub.add_parser("add", parents=[common], help="利用者を新規登録してカード番号を発行する")
    a.add_argument("--name", required=True, help="氏名")
    a.add_argument("--kana", required=True, help="フリガナ（カタカナ・ひらがな）")
    a.add_argument("--birth", required=True, metavar="YYYY-MM-DD", help="生年月日")
    a.add_argument("--phone", default="", help="電話番号")
    a.add_argument("--email", default="", help="連絡用メールアドレス（任意）")
    a.add_argument("--card", default=None, metavar="NNNNNNN", help="使うカード番号（省略時は次の番号）")
    a.add_argument("--confirm-duplicate", action="store_true", help="同じ氏名・生年月日の利用者がいても登録する")
    a.add_argument("--staff", metavar="LOGIN", help="受け付けた職員のログインID（監査記録用）")
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=cmd_add)

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


def cmd_add(args) -> int:
    open_db(args)
    actor = actor_from(args)
    # The birth date is parsed here, not by argparse, so that bad input never gets echoed.
    try:
        patron = patrons.add_patron(
            args.name, args.kana, parse_birth(args.birth), args.phone, args.email,
            card=args.card, actor=actor, confirm_duplicate=args.confirm_duplicate, kana_required=True,
        )
    except Refused as exc:
        if exc.reason == "possible-duplicate":  # say how to go ahead on the command line
            exc.message += "別の方であれば --confirm-duplicate を付けて、もう一度実行してください。"
        raise
    info = {
        "ok": True,
        "card": patron.card,
        "name": patron.name,
        "kana": patron.kana,
        "birth_date": patron.birth_date.isoformat(),
        "phone": patron.phone,
        "email": patrons.mask_email(patron.email),
    }
    emit(info, args.json, f"利用者 {patron.name} を登録しました。カード番号 {patron.card}")
    return 0

"""web-register, web-unlock: WEBサービス利用登録 at the counter from the command line."""

from __future__ import annotations

from counter_app.commands.base import actor_from, emit, open_db
from counter_app.services import web_accounts
from policies.registration import ID_TYPES


def register(sub, common) -> None:
    p = sub.add_parser(
        "web-register", parents=[common],
        help="WEBサービス利用登録（本人確認のうえ仮パスワードを発行。--reissue で再発行）",
    )
    p.add_argument("card", help="利用者カード番号（全角・空白・ハイフン可）")
    # Checked in the service, not with choices=, so that a typo is never echoed back.
    p.add_argument("--id-type", required=True, metavar="|".join(ID_TYPES), help="確認した本人確認書類の種類")
    p.add_argument("--reissue", action="store_true", help="登録済みの利用者に仮パスワードを再発行する")
    p.add_argument("--slip", action="store_true", help="仮パスワードの伝票を印刷する（印刷設定がなければ spool に保存）")
    p.add_argument("--staff", metavar="LOGIN", help="本人確認をした職員のログインID")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_register)

    u = sub.add_parser("web-unlock", parents=[common], help="ロックされたWEBアカウントのロックを解除する")
    u.add_argument("card")
    u.add_argument("--staff", metavar="LOGIN")
    u.add_argument("--json", action="store_true")
    u.set_defaults(func=cmd_unlock)


def cmd_register(args) -> int:
    open_db(args)
    issued = web_accounts.register(args.card, args.id_type, actor_from(args), reissue=args.reissue)
    out = issued.as_json()
    text = [
        f"{'再発行' if issued.reissued else '登録'}しました。利用者カード {issued.card}",
        f"仮パスワード: {web_accounts.passwords.grouped(issued.temporary_password)}（空白は入力不要・一度だけ表示）",
        f"有効期限: {issued.expires.isoformat()}",
    ]
    if args.slip:
        slip = web_accounts.print_password_slip(issued)
        out["slip"] = {"printed": slip.printed, "path": str(slip.path) if slip.path else None}
        text.append(slip.message)
    emit(out, args.json, "\n".join(text))
    return 0


def cmd_unlock(args) -> int:
    open_db(args)
    info = web_accounts.unlock(args.card, actor_from(args))
    emit({"ok": True, **info}, args.json, f"利用者カード {info['card']} のロックを解除しました。")
    return 0

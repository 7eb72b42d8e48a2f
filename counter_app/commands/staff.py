"""staff add."""

from __future__ import annotations

from counter_app.commands.base import emit, open_db, read_secret
from counter_app.services import staff


def register(sub, common) -> None:
    p = sub.add_parser("staff", help="職員アカウント")
    ssub = p.add_subparsers(dest="staff_command", required=True)
    a = ssub.add_parser("add", parents=[common], help="職員を追加する（パスワードは標準入力から）")
    a.add_argument("login")
    a.add_argument("--name", required=True)
    a.add_argument("--role", choices=staff.ROLES, default="desk")
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=cmd_add)


def cmd_add(args) -> int:
    open_db(args)
    password = read_secret("パスワード: ")
    who = staff.add_staff(args.login, args.name, args.role, password)
    emit({"ok": True, "login": who.login, "name": who.name, "role": who.role}, args.json,
         f"職員 {who.login}（{who.name}、{who.role}）を登録しました。")
    return 0

"""checkout, checkin, renew, overdue, calendar.

checkout / checkin / renew print {"ok": every item done, "message": a Japanese summary,
"items": [...]}; exit status 3 when any item was refused (the JSON is printed anyway, and one
Japanese line per refused item goes to stderr). Reason codes are listed in policies/loans.py
(checkout), policies/renewal.py (renewal) and counter_app/services/circulation.py (the rest).
``--staff LOGIN`` records which staff member did it (an unknown login: ``unknown-staff``).
"""

from __future__ import annotations

import sys

from counter_app.commands.base import actor_from, add_staff_option, emit, open_db
from counter_app.config import settings
from counter_app.services import CLI
from counter_app.services import calendar as cal_service
from counter_app.services import circulation


def register(sub, common) -> None:
    p = sub.add_parser("checkout", parents=[common], help="資料を貸し出す")
    p.add_argument("card")
    p.add_argument("barcodes", nargs="+", metavar="BARCODE")
    p.add_argument("--at", metavar="CODE", help="貸出するサービスポイント（既定: LIBRARY_TERMINAL_POINT）")
    add_staff_option(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_checkout)

    p = sub.add_parser("checkin", parents=[common], help="資料を返却する")
    p.add_argument("barcodes", nargs="+", metavar="BARCODE")
    p.add_argument("--at", metavar="CODE", help="返却を受けるサービスポイント")
    add_staff_option(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_checkin)

    p = sub.add_parser("renew", parents=[common], help="貸出を延長する")
    p.add_argument("card")
    p.add_argument("barcodes", nargs="+", metavar="BARCODE")
    p.add_argument("--via", choices=("counter", "phone"), default="counter", help="受付方法（カウンター / 電話）")
    add_staff_option(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_renew)

    p = sub.add_parser("overdue", parents=[common], help="延滞一覧（電話連絡用）")
    p.add_argument("--at", metavar="CODE", help="貸出したサービスポイント")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_overdue)

    p = sub.add_parser("calendar", help="休館日カレンダー")
    csub = p.add_subparsers(dest="calendar_command", required=True)
    s = csub.add_parser("list", parents=[common], help="休館日を表示する")
    s.add_argument("--year", type=int)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_calendar_list)
    s = csub.add_parser("add", parents=[common], help="休館日を追加する")
    s.add_argument("date", metavar="DATE", help="YYYY-MM-DD")
    s.add_argument("--point", metavar="CODE", help="このサービスポイントだけ（省略: 全館）")
    s.add_argument("--reason", required=True, help="理由（例: 蔵書点検）")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_calendar_add)
    s = csub.add_parser("remove", parents=[common], help="休館日を取り消す")
    s.add_argument("date", metavar="DATE", help="YYYY-MM-DD")
    s.add_argument("--point", metavar="CODE")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_calendar_remove)


def _at(args) -> str:
    return (args.at or settings().terminal_point).upper()


def _finish(items: list[dict], as_json: bool, keys: tuple[str, ...], lines: list[str], summary: str) -> int:
    ok = all(it["ok"] for it in items)
    data = {"ok": ok, "message": summary, "items": [{k: it.get(k) for k in keys} | _extra(it) for it in items]}
    emit(data, as_json, "\n".join([*lines, summary]))
    for it in items:
        if not it["ok"]:
            print(f"counter-app: {it['barcode']}: {it['message']}", file=sys.stderr)
    return 0 if ok else 3


def _summary(items: list[dict], done: str, refused: str) -> str:
    """「貸出 2 点・貸出できない資料 1 点」"""
    n_ok = sum(1 for it in items if it["ok"])
    text = f"{done} {n_ok} 点"
    if n_ok < len(items):
        text += f"・{refused} {len(items) - n_ok} 点"
    return text


def _extra(item: dict) -> dict:
    return {k: item[k] for k in ("title", "message") if k in item}


def _line(it: dict, outcome: str) -> str:
    """One human line per item: barcode, outcome, title, message and reason codes."""
    reasons = it.get("reasons") or []
    return f"{it['barcode']} {outcome} {it.get('title', '')} {it['message']}" + (
        f" [{','.join(reasons)}]" if reasons else ""
    )


def cmd_checkout(args) -> int:
    open_db(args)
    items = circulation.checkout(args.card, args.barcodes, _at(args), actor_from(args))
    lines = [_line(it, "貸出" if it["ok"] else "不可") for it in items]
    return _finish(items, args.json, ("barcode", "ok", "due", "reasons"), lines,
                   _summary(items, "貸出", "貸出できない資料"))


def cmd_checkin(args) -> int:
    open_db(args)
    items = circulation.checkin(args.barcodes, _at(args), actor_from(args))
    lines = [_line(it, it["route"] or "不可") for it in items]
    keys = ("barcode", "ok", "route", "reasons")
    return _finish(items, args.json, keys, lines, circulation.checkin_summary(items))


def cmd_renew(args) -> int:
    open_db(args)
    actor = actor_from(args, "phone" if args.via == "phone" else "cli")
    items = circulation.renew(args.card, args.barcodes, args.via, actor, identity="card")
    lines = [_line(it, "延長" if it["ok"] else "不可") for it in items]
    return _finish(items, args.json, ("barcode", "ok", "due", "reasons"), lines,
                   _summary(items, "延長", "延長できない資料"))


def cmd_overdue(args) -> int:
    open_db(args)
    at = _at(args)
    rows = circulation.overdue_list(at)
    lines = [f"延滞一覧 {at}: {len(rows)} 点"]
    lines += [
        f"{r['card']} {r['name']} 電話 {r['phone'] or '—'}  {r['barcode']} {r['title']} 期限 {r['due']}（{r['days_overdue']}日超過）"
        for r in rows
    ]
    emit({"point": at, "items": rows}, args.json, "\n".join(lines))
    return 0


def cmd_calendar_list(args) -> int:
    open_db(args)
    info = cal_service.list_closed(args.year)
    from policies.calendar import WEEKDAY_JA

    lines = ["定休日: " + "　".join(
        f"{code} " + ("・".join(WEEKDAY_JA[d] for d in days) + "曜" if days else "なし")
        for code, days in info["weekly"].items()
    ), f"年末年始: {info['year_end']['from']} 〜 {info['year_end']['to']}"]
    lines += [f"{d['date']} {d['point'] or '全館'} {d['reason']}" for d in info["days"]]
    emit(info, args.json, "\n".join(lines))
    return 0


def cmd_calendar_add(args) -> int:
    open_db(args)
    row = cal_service.add_closed(args.date, args.point, args.reason, CLI)
    emit({"ok": True, **row}, args.json, f"{row['date']} を休館日にしました（{row['point'] or '全館'}: {row['reason']}）。")
    return 0


def cmd_calendar_remove(args) -> int:
    open_db(args)
    row = cal_service.remove_closed(args.date, args.point, CLI)
    emit({"ok": True, **row}, args.json, f"{row['date']} の休館日を取り消しました（{row['point'] or '全館'}）。")
    return 0

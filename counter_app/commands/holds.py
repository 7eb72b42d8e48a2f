"""reserve, cancel-hold, daily, pull, hold-called, holds-list.

There is no command to mark a ready mail as sent: the mail sender records that itself when
the SMTP server has taken the mail (mailer → holds.on_notice_sent)."""

from __future__ import annotations

from counter_app.commands.base import actor_from, add_staff_option, emit, open_db
from counter_app.services import InvalidInput, holds, slips

ROUTE_JA = {"hold-shelf": "取置棚へ", "shelf": "書架へ", "in-transit": "回送中（到着時に振り分け）", "on-loan": "貸出中"}


def route_ja(route: str | None) -> str:
    if not route:
        return "—"
    if route.startswith("transit:"):
        return f"{route.split(':', 1)[1]} へ回送"
    return ROUTE_JA.get(route, route)


def register(sub, common) -> None:
    p = sub.add_parser("reserve", parents=[common], help="予約を受け付ける（電話・カウンター）")
    p.add_argument("card", help="利用者カード番号")
    p.add_argument("bib_id", help="書誌ID")
    p.add_argument("--pickup", required=True, help="受取館 KIT|YAM|OTA")
    p.add_argument("--mail", default="no", help="予約内容メール yes|no（既定 no）")
    p.add_argument("--via", required=True, help="受付方法 phone|counter")
    add_staff_option(p, "受け付けた職員のログインID（監査記録用）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_reserve)

    p = sub.add_parser("cancel-hold", parents=[common], help="予約を取り消す")
    p.add_argument("hold_id")
    add_staff_option(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_cancel)

    p = sub.add_parser("daily", parents=[common], help="日次処理: 取置期限切れの予約を期限切れにし、1日以上前の仮パスワード伝票を spool から削除する（何度実行しても同じ）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_daily)

    p = sub.add_parser("pull", parents=[common], help="取り寄せリストの資料を書架から取り出し、予約に割り当てる")
    p.add_argument("barcode")
    p.add_argument("--at", required=True, help="この館 KIT|YAM|OTA")
    add_staff_option(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_pull)

    p = sub.add_parser("hold-called", parents=[common], help="受け取り可の電話連絡をしたことを記録する")
    p.add_argument("hold_id")
    add_staff_option(p, "電話連絡をした職員のログインID（監査記録用）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_called)

    p = sub.add_parser("holds-list", parents=[common], help="取置・回送の一覧（取り寄せ・回送中・取置棚・本日期限切れ・電話連絡）")
    p.add_argument("--at", required=True, help="この館 KIT|YAM|OTA")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)


def _yes_no(raw: str) -> bool:
    value = (raw or "").strip().lower()
    if value in ("yes", "y", "true", "1", "希望する"):
        return True
    if value in ("no", "n", "false", "0", "希望しない"):
        return False
    raise InvalidInput("invalid-mail", "--mail は yes か no で指定してください。")


def cmd_reserve(args) -> int:
    open_db(args)
    result = holds.reserve(args.card, args.bib_id, args.pickup, args.via, _yes_no(args.mail), actor_from(args))
    text = f"予約しました: 予約番号 {result['hold_id']}「{result['title']}」 順位 {result['position']} 番目（受取館 {result['pickup']}）"
    if result["series_note"]:
        text += "\n" + result["series_note"]
    emit(result, args.json, text)
    return 0


def cmd_cancel(args) -> int:
    open_db(args)
    result = holds.cancel_hold(args.hold_id, actor_from(args))
    text = f"予約番号 {result['hold_id']} を取り消しました。"
    if result["barcode"]:
        text += f" 資料 {result['barcode']}: {route_ja(result['route'])}"
    emit(result, args.json, text)
    return 0


def cmd_daily(args) -> int:
    open_db(args)
    result = holds.daily()
    # A temporary password must not wait in the spool folder: a day is time enough to print it.
    result["password_slips_deleted"] = slips.purge(1, kind=slips.PASSWORD_SLIP)["deleted"]
    lines = [f"{result['date']} 取置期限切れ {result['count']} 件"]
    if result["password_slips_deleted"]:
        lines.append(f"1日以上前の仮パスワード伝票 {result['password_slips_deleted']} 件を spool から削除しました")
    lines += [f"  予約 {e['hold_id']}「{e['title']}」 {e['barcode'] or ''} → {route_ja(e['route'])}" for e in result["expired"]]
    emit(result, args.json, "\n".join(lines))
    return 0


def cmd_pull(args) -> int:
    open_db(args)
    result = holds.pull(args.barcode, args.at, actor_from(args))
    emit(result, args.json, f"{result['barcode']}「{result['title']}」 → {route_ja(result['route'])}（予約番号 {result['hold_id']}）")
    return 0


def cmd_called(args) -> int:
    open_db(args)
    result = holds.mark_called(args.hold_id, actor_from(args))
    emit(result, args.json, f"予約番号 {result['hold_id']}: 連絡済み。取置期限 {result['deadline']}")
    return 0


def cmd_list(args) -> int:
    open_db(args)
    data = holds.lists(args.at)
    lines = ["[取り寄せ]"] + [f"  {r['at']} {r['barcode']}「{r['title']}」→ 受取 {r['pickup']}" for r in data["pull"]]
    lines += ["[回送中（この館へ）]"] + [f"  {r['barcode']}「{r['title']}」 {r['from']} から" for r in data["in_transit"]]
    lines += ["[取置棚]"] + [f"  {r['hold_id']} {r['barcode']}「{r['title']}」 {r['card']} 期限 {r['deadline'] or '通知待ち'}" for r in data["hold_shelf"]]
    lines += ["[本日期限切れ]"] + [f"  {r['hold_id']}「{r['title']}」 {r['barcode'] or ''}" for r in data["expired_today"]]
    lines += ["[電話連絡]"] + [f"  {r['hold_id']} {r['name']} {r['phone']}「{r['title']}」" for r in data["call"]]
    emit({"ok": True, **data}, args.json, "\n".join(lines))
    return 0

"""tui (also bare ``counter-app``) and demo."""

from __future__ import annotations

import csv
import os
from datetime import date

from counter_app.commands.base import open_db
from counter_app.config import data_dir
from counter_app.services import InvalidInput, catalog, patrons, setup, staff


def register(sub, common) -> None:
    p = sub.add_parser("tui", parents=[common], help="カウンター端末を起動する")
    p.add_argument("--at", metavar="CODE", help="この端末のサービスポイント（既定: LIBRARY_TERMINAL_POINT か KIT）")
    p.set_defaults(func=cmd_tui)

    p = sub.add_parser("demo", parents=[common], help="data/ からデモ用データベースを作って端末を起動する")
    p.add_argument("--no-app", action="store_true", help="データベースを作るだけで起動しない")
    p.add_argument("--at", metavar="CODE")
    p.set_defaults(func=cmd_demo)


def run_app(point: str | None, hint: str = "") -> int:
    from counter_app.app import CounterApp
    from counter_app.services import points

    if point:
        points.point_id(point)  # refuse an unknown code before the screen opens
    CounterApp(point=point, signin_hint=hint).run()
    return 0


def cmd_tui(args) -> int:
    open_db(args)
    return run_app(args.at)


DEMO_MARK = "demo_database"


def cmd_demo(args) -> int:
    import models

    url = args.db if args.db and args.db != "sqlite:///library.db" else "sqlite:///demo.db"
    if os.environ.get("LIBRARY_DB") and args.db == os.environ["LIBRARY_DB"] and "demo" not in args.db:
        url = "sqlite:///demo.db"  # never rebuild a real database from .env
    path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else None
    if path and os.path.exists(path):
        models.open_database(url)
        is_demo = models.Setting.table_exists() and models.Setting.get_or_none(models.Setting.key == DEMO_MARK)
        models.close_database()
        if not is_demo:
            raise InvalidInput("not-demo", f"{path} はデモ用ではないので作り直しません。別の --db を指定してください。")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
    setup.init_database(url)
    with models.write_tx():
        models.Setting.insert(key=DEMO_MARK, value="yes").on_conflict_replace().execute()
    report = catalog.import_catalog(data_dir() / "sample-catalog.csv", "library-csv")
    login, name, password = setup.DEMO_STAFF
    staff.add_staff(login, name, "admin", password)
    cards: list[str] = []
    demo_file = setup.demo_patrons_file()
    if demo_file.is_file():
        with demo_file.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                patrons.add_patron(
                    row["name"], row["kana"], date.fromisoformat(row["birth_date"]),
                    row.get("phone", ""), row.get("email", ""), card=row["card"],
                )
                cards.append(row["card"])
    n_patrons = len(cards)
    print(f"デモ用データベース {path or url} を作りました: 書誌 {report.records_added}、資料 {report.items_added}、利用者 {n_patrons}。")
    print(f"職員ログイン: {login}　パスワード: {password}")
    if cards:
        print(f"試せる利用者カード: {cards[0]} 〜 {cards[-1]}")
    if args.no_app:
        return 0
    args.db = url
    return run_app(args.at, f"デモ用: ログインID {login}　パスワード {password}")

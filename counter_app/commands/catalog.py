"""init, import-catalog, search, stats."""

from __future__ import annotations

import sys

from counter_app.commands.base import emit, open_db
from counter_app.services import catalog, search, setup, stats


def register(sub, common) -> None:
    p = sub.add_parser("init", parents=[common], help="データベースを作成・更新する（何度実行しても同じ）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("import-catalog", parents=[common], help="目録ファイルを取り込む")
    p.add_argument("file")
    p.add_argument("--format", required=True, choices=catalog.FORMATS)
    p.add_argument("--branch", default="KIT", help="nacsis-tsv の資料を置く館（KIT/YAM/OTA）")
    p.add_argument("--copies", type=int, default=1, help="nacsis-tsv で1書誌あたりに作る資料数")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("search", parents=[common], help="蔵書を検索する")
    p.add_argument("query")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("stats", parents=[common], help="件数を表示する")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stats)


def cmd_init(args) -> int:
    info = setup.init_database(args.db)
    if info["schema_before"] == 0:
        text = f"データベースを作成しました（版 {info['schema']}、サービスポイント {info['service_points']}）。"
    elif info["schema_before"] < info["schema"]:
        text = f"データベースを版 {info['schema_before']} から {info['schema']} に更新しました。"
    else:
        text = f"データベースは最新です（版 {info['schema']}）。"
    emit({"ok": True, **info}, args.json, text)
    return 0


def cmd_import(args) -> int:
    open_db(args)
    show_bar = not args.json and sys.stderr.isatty()
    if show_bar:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(
            TextColumn("取り込み中"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            transient=True,
        ) as bar:
            task = bar.add_task("import", total=None)
            report = catalog.import_catalog(
                args.file, args.format, args.branch, args.copies,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    else:
        report = catalog.import_catalog(args.file, args.format, args.branch, args.copies)
    if not args.json:
        for line, code, message in report.errors:
            print(f"{args.file}:{line}: {message} [{code}]", file=sys.stderr)
    summary = (
        f"{report.rows} 行: 書誌 追加 {report.records_added} / 更新 {report.records_updated} / "
        f"変更なし {report.records_unchanged}、資料 追加 {report.items_added}、スキップ {len(report.errors)} 行"
    )
    emit({"ok": True, **report.as_json()}, args.json, summary)
    return 0


def cmd_search(args) -> int:
    open_db(args)
    result = search.search(args.query, limit=args.limit, offset=args.offset)
    lines = [f"{result.total} 件"]
    for h in result.hits:
        avail = " ".join(f"{b}:{a}/{t}" for b, (a, t) in h.availability().items())
        lines.append(f"[{h.id}] {h.title} / {h.creator} / {h.publisher} {h.year or ''}  {avail}")
    emit(result.as_json(), args.json, "\n".join(lines))
    return 0


def cmd_stats(args) -> int:
    open_db(args)
    s = stats.stats()
    emit(s, args.json, "  ".join(f"{k}={v}" for k, v in s.items()))
    return 0

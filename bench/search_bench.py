"""Search benchmark: the product's search against a brute-force scan, at N records.

    python bench/search_bench.py --records 1000000 --json

Builds (once; cached under .bench-cache/) a library database of N records made from the real
NACSIS-CAT sample ../shared/data/nacsis-cat-10000.tsv: record r of the sample is repeated as
volumes "<title> 2", "<title> 3", ... until N records exist, so titles, creators, publishers
and years keep the sample's distribution. Every record has one copy (at KIT, YAM or OTA, most
on the shelf, some on loan), 60 % have an ISBN, every 100th has a waiting reservation.
Readings come from the importer's own generator (SudachiPy), tokens from the product's
search_index.

Then it runs a fixed query set through the product's own ``search()`` (first page of 50 with
availability and waiting reservations), in a child process that opens the database as the app
does (its peak RSS is reported as rss_mb), and the same queries as a brute-force normalised
scan (``instr`` over every record's folded text, kept in a file of its own beside the
database) in this process, and prints one JSON line:

    {"records","p50_ms","p95_ms","brute_p50_ms","speedup","recall","build_s","db_mb","rss_mb"}

recall = share of the brute-force hits that the product's index also returns, over all hits.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

def _source() -> Path:
    """../shared/data/nacsis-cat-10000.tsv beside the project (or beside a folder above it,
    for a git worktree kept one level deeper)."""
    for up in ROOT.parents:
        candidate = up / "shared" / "data" / "nacsis-cat-10000.tsv"
        if candidate.is_file():
            return candidate
    raise SystemExit("../shared/data/nacsis-cat-10000.tsv がありません。")


SOURCE = None
CACHE = ROOT / ".bench-cache"
BUILD_VERSION = 5  # bump when the database layout or the generator changes
REPEAT = 5  # timed runs of each query (after one warm-up run)
PAGE = 50

# The fixed query set: (kind, query). ISBN queries are filled in from the data (see _queries).
QUERIES = [
    ("1char", "日"), ("1char", "本"), ("1char", "猫"), ("1char", "海"),
    ("2char", "日本"), ("2char", "漱石"), ("2char", "歴史"), ("2char", "東京"),
    ("3char", "日本語"), ("3char", "大震災"), ("3char", "社会保障"), ("3char", "図書館"),
    ("katakana", "コンピュータ"), ("katakana", "ネットワーク"), ("katakana", "デザイン"),
    ("latin", "japan"), ("latin", "history"), ("latin", "Barcelona"),
    ("multi", "日本 歴史"), ("multi", "東京 地図"), ("multi", "教育 研究 報告"),
    ("reading", "なつめそうせき"), ("reading", "にほんし"),
    ("variant", "國學院"),
    ("nohit", "zzqxv"), ("nohit", "鑫鑫鑫"),
]


# --- building ----------------------------------------------------------------------------


def _isbn_for(n: int) -> str:
    from stdnum import ean

    body = f"9784{n % 100000000:08d}"
    return body + ean.calc_check_digit(body)


def _brute_text(fields: list[str]) -> str:
    """Every field folded; a Latin word starts with \\x01, runs are split by \\x02 and fields
    by \\x03 (Japanese runs ignore spaces, as in the index)."""
    from policies.text import fold

    cjk = "\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\u3005\u3006\u30fc\U00020000-\U0003134f"
    out = []
    for f in fields:
        s = re.sub(f"(?<=[{cjk}]) +(?=[{cjk}])", "", fold(f))
        parts = re.findall(f"[{cjk}]+|[^\\s{cjk}]+", s)
        out.append("\x02".join(p if re.match(f"[{cjk}]", p) else "\x01" + p for p in parts))
    return "\x03" + "\x03".join(out) + "\x03"


def brute_path(path: Path) -> Path:
    """The brute-force scan's own file beside the library database (not part of db_mb)."""
    return path.with_name(path.stem + ".brute.db")


def build(n: int, path: Path, log=None) -> float:
    import models
    from counter_app.services import catalog, search_index, setup
    from policies.text import index_tokens, title_key
    from policies.yomi import reading

    t0 = time.perf_counter()

    def phase(what: str) -> None:
        if log:
            log(f"  {time.perf_counter() - t0:6.1f} s  {what}")

    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    setup.init_database(f"sqlite:///{path}")
    db = models.db
    db.execute_sql("PRAGMA journal_mode = OFF")
    db.execute_sql("PRAGMA synchronous = OFF")
    db.execute_sql("PRAGMA cache_size = -400000")
    report = catalog.ImportReport()
    base = catalog._read_nacsis(SOURCE or _source(), "KIT", 1, report)  # noqa: SLF001 - the importer's reader
    points = {code: pid for pid, code in db.execute_sql("SELECT id, code FROM service_point")}
    pids = [points["KIT"], points["YAM"], points["OTA"]]

    # The sample's records, prepared once: readings, tokens, keys.
    prepared = []
    for b in base:
        v = b.values
        ty, cy = reading(v["title"]), reading(v["creator"])
        cols = search_index.fts_values(v["title"], v["creator"], v["publisher"], ty, cy, "", v["ndc"], "", "")
        brute = [_brute_text([f]) [1:-1] for f in (v["title"], v["creator"], v["publisher"], ty, cy, v["ndc"])]
        prepared.append((b.source_id, v, ty, cy, cols, index_tokens(ty), index_tokens(cy), title_key(v["title"]), brute))
    phase("base records prepared")

    # Bulk load: secondary indexes are dropped first and made again at the end.
    index_sql = [
        r[0]
        for r in db.execute_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('bib', 'item') AND sql IS NOT NULL"
        )
    ]
    for (name,) in db.execute_sql(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('bib', 'item') AND sql IS NOT NULL"
    ).fetchall():
        db.execute_sql(f'DROP INDEX "{name}"')

    patron = db.execute_sql(
        "INSERT INTO patron (card, name, kana, kana_key, birth_date, phone, email, email_ok, blocked, "
        "block_reason, withdrawn, created_at) VALUES ('9000001', '予約 太郎', 'ヨヤク タロウ', 'よやくたろう', "
        "'1980-01-01', '', '', 1, 0, '', 0, '2026-01-01')"
    ).lastrowid
    now = "2026-12-01 10:00:00"
    statuses = ["available"] * 17 + ["on-loan", "on-loan", "on-hold-shelf"]
    bib_sql = (
        "INSERT INTO bib (id, source_id, title, title_yomi, creator, creator_yomi, yomi_generated, publisher, "
        "year, pub_date, edition, isbn, ndc, language, material_type, series, volume, note, title_key, fts_key, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, 'book', '', ?, '', ?, ?, ?)"
    )
    item_sql = (
        "INSERT INTO item (barcode, bib_id, home_id, location_id, status, owned, call_number, created_at) "
        "VALUES (?, ?, ?, ?, ?, 1, '', ?)"
    )
    nb = len(prepared)
    fts_rows: list[tuple] = []
    brute_rows: list[tuple] = []
    checks = 0
    with models.write_tx():
        bibs, items, holds = [], [], []
        for i in range(n):
            rid = i + 1
            k, r = divmod(i, nb)
            sid, v, ty, cy, cols, tyt, cyt, tkey, bt = prepared[r]
            vol = str(k + 1) if k else ""
            title = f"{v['title']} {vol}" if vol else v["title"]
            t_yomi = f"{ty} {vol}" if vol else ty
            isbn = _isbn_for(rid) if rid % 5 < 3 else ""
            source_id = f"{sid}-{vol}" if vol else sid
            key = search_index.fts_key(rid, v["year"])
            if vol:
                ftitle = f"{cols[0]} {vol}" if cols[0] else vol
                yomi = " ".join(t for t in (f"{tyt} {vol}" if tyt else vol, cyt) if t)
                tk = tkey + vol
            else:
                ftitle, yomi, tk = cols[0], cols[3], tkey
            row = (key, ftitle, cols[1], cols[2], yomi, search_index.isbn_tokens(isbn), cols[5], index_tokens(source_id))
            if checks < 3000 and (k or r % 7 == 0):  # composed tokens = the product's own tokens
                full = search_index.fts_values(title, v["creator"], v["publisher"], t_yomi, cy, isbn, v["ndc"], source_id, "")
                assert full == row[1:], (full, row)
                assert title_key(title) == tk
            fts_rows.append(row)
            bibs.append((
                rid, source_id, title, t_yomi, v["creator"], cy, v["publisher"], v["year"], v["pub_date"],
                v["edition"], isbn, v["ndc"], v["language"], vol, tk, key, now,
            ))
            items.append((str(3000000000 + rid), rid, pids[rid % 3], pids[rid % 3], statuses[rid % 20], now))
            if rid % 100 == 0:
                holds.append((patron, rid, pids[0], "waiting", now, "email", 0, "counter"))
            tail = "\x02\x01" + vol if vol else ""
            brute_rows.append((rid, "\x03".join((
                "", (bt[0] + tail) if bt[0] else tail[1:], bt[1], bt[2], (bt[3] + tail) if bt[3] else tail[1:], bt[4],
                "\x01" + isbn if isbn else "", bt[5], "\x01" + source_id.lower(), "",
            ))))
            if checks < 3000 and (k or r % 7 == 0):
                assert brute_rows[-1][1] == _brute_text([
                    title, v["creator"], v["publisher"], t_yomi, cy, isbn, v["ndc"], source_id,
                ]), (brute_rows[-1], title)
                checks += 1
            if len(bibs) >= 50000 or i == n - 1:
                cur = db.cursor()
                cur.executemany(bib_sql, bibs)
                cur.executemany(item_sql, items)
                cur.executemany(
                    "INSERT INTO hold (patron_id, bib_id, pickup_id, status, queued_at, contact, want_mail, via) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    holds,
                )
                bibs, items, holds = [], [], []
        phase("records and copies written")
        for sql in index_sql:
            db.execute_sql(sql)
        phase("indexes made")
        fts_rows.sort()  # FTS5 builds fastest with ascending rowids
        cur = db.cursor()
        # Bulk: a large in-memory buffer and no merging while loading, one merge at the end.
        db.execute_sql("INSERT INTO bib_fts (bib_fts, rank) VALUES ('automerge', 0)")
        db.execute_sql("INSERT INTO bib_fts (bib_fts, rank) VALUES ('hashsize', 268435456)")
        for start in range(0, len(fts_rows), 50000):
            cur.executemany(search_index.INSERT, fts_rows[start : start + 50000])
        fts_rows.clear()
        phase("search index loaded")
        db.execute_sql("INSERT INTO bib_fts (bib_fts) VALUES ('optimize')")
        db.execute_sql("INSERT INTO bib_fts (bib_fts, rank) VALUES ('automerge', 4)")
        db.execute_sql("INSERT INTO bib_fts (bib_fts, rank) VALUES ('hashsize', 1048576)")
        phase("search index merged")
        t_brute = time.perf_counter()
        bpath = brute_path(path)
        bpath.unlink(missing_ok=True)
        import sqlite3

        bcon = sqlite3.connect(bpath)
        bcon.execute("PRAGMA journal_mode = OFF")
        bcon.execute("CREATE TABLE bench_brute (id INTEGER PRIMARY KEY, t TEXT NOT NULL)")
        bcon.executemany("INSERT INTO bench_brute (id, t) VALUES (?, ?)", brute_rows)
        bcon.commit()
        bcon.close()
        brute_rows.clear()
        t_brute = time.perf_counter() - t_brute
        phase("brute-force table written (not counted in build_s)")
    db.execute_sql("ANALYZE")
    db.execute_sql("PRAGMA journal_mode = WAL")
    models.close_database()
    phase("done")
    build_s = time.perf_counter() - t0 - t_brute
    (path.parent / (path.name + ".json")).write_text(
        json.dumps({"records": n, "build_s": round(build_s, 1), "version": BUILD_VERSION})
    )
    return build_s


# --- queries -------------------------------------------------------------------------------


def _queries(n: int) -> list[tuple[str, str]]:
    from stdnum import isbn as stdisbn

    # Two records that carry an ISBN: one asked as ISBN-13 with hyphens, one as ISBN-10 bare.
    a, b = max(1, n // 3), max(1, (2 * n) // 3)
    while a % 5 >= 3:
        a += 1
    while b % 5 >= 3:
        b += 1
    i13 = stdisbn.format(_isbn_for(a))
    i10 = stdisbn.to_isbn10(_isbn_for(b)).replace("-", "")
    return QUERIES + [("isbn", i13), ("isbn", i10)]


def brute_needles(query: str) -> list[str] | None:
    """instr() needles for one query: every one must occur in the record's brute text."""
    from stdnum import isbn as stdisbn

    from policies.text import fold

    cjk = "\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\u3005\u3006\u30fc\U00020000-\U0003134f"
    needles: list[str] = []
    for word in query.split():
        digits = re.sub(r"[\s\-]", "", word).upper()
        if re.fullmatch(r"\d{9}[\dX]|\d{13}", digits) and stdisbn.is_valid(digits):
            needles.append("\x01" + stdisbn.to_isbn13(digits).replace("-", ""))
            continue
        for w in fold(word).split():
            for part in re.findall(f"[{cjk}]+|[^\\s{cjk}]+", w):
                needles.append(part if re.match(f"[{cjk}]", part) else "\x01" + part)
    return needles


def brute(db, query: str) -> tuple[set[int], float]:
    needles = brute_needles(query)
    where = " AND ".join("instr(t, ?) > 0" for _ in needles)
    t = time.perf_counter()
    ids = {r[0] for r in db.execute(f"SELECT id FROM bench_brute WHERE {where}", needles)}
    return ids, (time.perf_counter() - t) * 1000


def child(path: str) -> None:
    """The search process: opens the database as the app does and runs the queries."""
    import models
    import screens.search  # noqa: F401 - the app's search screen and Textual, as the app has them
    from counter_app.services import search

    queries = json.loads(sys.stdin.read())
    models.open_database(f"sqlite:///{path}")
    samples: list[float] = []
    per_query = {}
    for _, q in queries:
        search.search(q, PAGE, 0)  # warm-up
        times = []
        for _ in range(REPEAT):
            t = time.perf_counter()
            res = search.search(q, PAGE, 0)
            times.append((time.perf_counter() - t) * 1000)
        assert len(res.hits) == min(PAGE, res.total)
        samples.extend(times)
        per_query[q] = {"ms": round(statistics.median(times), 3), "total": res.total}
    status = Path("/proc/self/status").read_text()
    hwm = int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024
    ids = {q: sorted(search.match_ids(q)) for _, q in queries}
    json.dump({"samples": samples, "per_query": per_query, "rss_mb": hwm, "ids": ids}, sys.stdout)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=10000)
    ap.add_argument("--json", action="store_true", help="print only the JSON line")
    ap.add_argument("--rebuild", action="store_true", help="build the database even if cached")
    ap.add_argument("--cache", default=str(CACHE), help="folder for the built databases")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.child)
        return 0
    import sqlite3

    n = args.records
    if n < 1:
        ap.error("--records must be at least 1")
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"search-{n}.db"
    meta_path = cache / (path.name + ".json")
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    if args.rebuild or not path.is_file() or not brute_path(path).is_file() or meta.get("version") != BUILD_VERSION:
        log = (lambda *a: None) if args.json else (lambda *a: print(*a, file=sys.stderr))
        log(f"building {n:,} records in {path} …")
        build_s = build(n, path, log=None if args.json else log)
        log(f"built in {build_s:.1f} s")
    else:
        build_s = meta["build_s"]
    queries = _queries(n)
    proc = subprocess.run(
        [sys.executable, __file__, "--child", str(path)],
        input=json.dumps(queries), capture_output=True, text=True, cwd=str(ROOT),
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        return 1
    out = json.loads(proc.stdout)
    con = sqlite3.connect(brute_path(path))
    brute_ms, found, wanted = [], 0, 0
    detail = []
    for kind, q in queries:
        ids, ms = brute(con, q)
        brute_ms.append(ms)
        got = set(out["ids"][q])
        found += len(ids & got)
        wanted += len(ids)
        detail.append({"kind": kind, "query": q, "ms": out["per_query"][q]["ms"], "total": out["per_query"][q]["total"],
                       "brute_ms": round(ms, 1), "brute_hits": len(ids), "missed": len(ids - got)})
    con.close()
    samples = sorted(out["samples"])
    p50 = statistics.median(samples)
    p95 = samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))]
    brute_p50 = statistics.median(brute_ms)
    db_mb = sum(os.path.getsize(str(path) + s) for s in ("", "-wal") if os.path.exists(str(path) + s)) / 2**20
    result = {
        "records": n,
        "p50_ms": round(p50, 3),
        "p95_ms": round(p95, 3),
        "brute_p50_ms": round(brute_p50, 1),
        "speedup": round(brute_p50 / p50, 1) if p50 else None,
        "recall": round(found / wanted, 4) if wanted else 1.0,
        "build_s": round(build_s, 1),
        "db_mb": round(db_mb, 1),
        "rss_mb": round(out["rss_mb"], 1),
    }
    if not args.json:
        for d in detail:
            print(json.dumps(d, ensure_ascii=False), file=sys.stderr)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Catalogue: import (NACSIS-CAT TSV and the library's own CSV), records and their items.

An import reads the whole file first, checks every row, and reports a bad row by its line
number and reason; the good rows go in, in transactions of whole records, so nothing is ever
half-written. Re-importing the same file changes nothing.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from stdnum import isbn as stdisbn

import models
from counter_app import clock
from counter_app.services import InvalidInput, points, search_index
from policies.text import title_key
from policies.yomi import reading

FORMATS = ("nacsis-tsv", "library-csv")
LIBRARY_CSV_HEADER = [
    "source_id", "title", "title_yomi", "creator", "creator_yomi", "publisher", "year", "isbn",
    "ndc", "material_type", "barcode", "branch", "owned", "call_number",
]
NACSIS_HEADER = [
    "title", "creator", "publisher", "language", "ncid", "edition", "publicationDate", "note",
    "subject", "url",
]
MATERIAL_TYPES = {
    "book": "book", "図書": "book", "本": "book",
    "magazine": "magazine", "雑誌": "magazine",
    "dvd": "dvd",
    "cd": "cd",
}
MATERIAL_LABELS = {"book": "図書", "magazine": "雑誌", "dvd": "DVD", "cd": "CD"}
BIB_FIELDS = (
    "title", "title_yomi", "creator", "creator_yomi", "publisher", "year", "pub_date", "edition",
    "isbn", "ndc", "language", "material_type", "note",
)
CHUNK = 500  # records per transaction


@dataclass
class ItemRow:
    barcode: str
    branch: str
    owned: bool = True
    call_number: str = ""
    line: int = 0


@dataclass
class BibRow:
    source_id: str
    values: dict
    line: int
    items: list[ItemRow] = field(default_factory=list)


@dataclass
class ImportReport:
    rows: int = 0
    records_added: int = 0
    records_updated: int = 0
    records_unchanged: int = 0
    items_added: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (line, code, message)

    def as_json(self) -> dict:
        return {
            "rows": self.rows,
            "records_added": self.records_added,
            "records_updated": self.records_updated,
            "records_unchanged": self.records_unchanged,
            "items_added": self.items_added,
            "skipped": len(self.errors),
            "errors": [{"line": ln, "reason": code, "message": msg} for ln, code, msg in self.errors],
        }


class RowError(Exception):
    def __init__(self, code: str, message: str):
        self.code, self.message = code, message
        super().__init__(message)


def _clean(text: str | None) -> str:
    return unicodedata.normalize("NFC", (text or "").strip())


def parse_year(text: str) -> int | None:
    """First plausible 4-digit year in a catalogued date such as ``[2004.1]`` or ``寛政2 [1790]``."""
    m = re.search(r"(1[0-9]{3}|20[0-9]{2})", unicodedata.normalize("NFKC", text or ""))
    return int(m.group(1)) if m else None


def parse_ndc(subject: str) -> str:
    """``NDC8:913.6`` → ``913.6``; other schemes (NLM, LCC, NDLC) give no NDC."""
    m = re.match(r"\s*NDC\d*\s*:\s*([0-9][0-9.]*)", subject or "")
    return m.group(1).rstrip(".") if m else ""


def parse_isbn(text: str) -> str:
    """ISBN-10 or -13, with or without hyphens → 13 digits; '' when empty; RowError if bad."""
    raw = unicodedata.normalize("NFKC", text or "").strip()
    if not raw:
        return ""
    try:
        return stdisbn.to_isbn13(stdisbn.validate(raw)).replace("-", "")
    except Exception:
        raise RowError("invalid-isbn", f"ISBN {raw} は正しくありません") from None


def parse_material(text: str) -> str:
    key = unicodedata.normalize("NFKC", text or "").strip().lower()
    if not key:
        return "book"
    if key not in MATERIAL_TYPES and key.upper() not in ("DVD", "CD"):
        raise RowError("invalid-material-type", f"資料種別 {text!r} は book/magazine/dvd/cd のいずれかです")
    return MATERIAL_TYPES.get(key, key)


# --- readers -------------------------------------------------------------------------------


def _read_nacsis(path: Path, branch: str, copies: int, report: ImportReport) -> list[BibRow]:
    out: list[BibRow] = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader, None)
        if header is None or [h.strip() for h in header] != NACSIS_HEADER:
            raise InvalidInput("bad-header", "NACSIS-CAT TSV の見出し行が違います: " + "\t".join(NACSIS_HEADER))
        for line, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            report.rows += 1
            if len(row) != len(NACSIS_HEADER):
                report.errors.append((line, "bad-columns", f"列の数が {len(row)} です（10 列のはず）"))
                continue
            r = dict(zip(NACSIS_HEADER, row))
            ncid, title = _clean(r["ncid"]), _clean(r["title"])
            if not ncid:
                report.errors.append((line, "missing-source-id", "NCID がありません"))
                continue
            if not title:
                report.errors.append((line, "missing-title", "書名がありません"))
                continue
            values = {
                "title": title,
                "title_yomi": "",
                "creator": _clean(r["creator"]),
                "creator_yomi": "",
                "publisher": _clean(r["publisher"]),
                "year": parse_year(r["publicationDate"]),
                "pub_date": _clean(r["publicationDate"]),
                "edition": _clean(r["edition"]),
                "isbn": "",
                "ndc": parse_ndc(r["subject"]),
                "language": _clean(r["language"]),
                "material_type": "book",
                "note": _clean(r["note"]),
            }
            bib = BibRow(ncid, values, line)
            # Generated copies get barcodes when written; marked by barcode "".
            bib.items = [ItemRow("", branch, True, "", line) for _ in range(copies)]
            out.append(bib)
    return out


def _read_library_csv(path: Path, report: ImportReport) -> list[BibRow]:
    by_id: dict[str, BibRow] = {}
    barcodes: set[str] = set()
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None or [h.strip() for h in header] != LIBRARY_CSV_HEADER:
            raise InvalidInput("bad-header", "CSV の見出し行が違います: " + ",".join(LIBRARY_CSV_HEADER))
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            report.rows += 1
            try:
                if len(row) != len(LIBRARY_CSV_HEADER):
                    raise RowError("bad-columns", f"列の数が {len(row)} です（{len(LIBRARY_CSV_HEADER)} 列のはず）")
                r = {k: _clean(v) for k, v in zip(LIBRARY_CSV_HEADER, row)}
                if not r["source_id"]:
                    raise RowError("missing-source-id", "source_id がありません")
                if not r["title"]:
                    raise RowError("missing-title", "書名がありません")
                barcode = unicodedata.normalize("NFKC", r["barcode"]).strip().upper()
                if not barcode:
                    raise RowError("missing-barcode", "バーコードがありません")
                if barcode in barcodes:
                    raise RowError("duplicate-barcode", f"バーコード {barcode} がファイル内で重複しています")
                branch = r["branch"].upper()
                if not branch:
                    raise RowError("unknown-branch", "branch がありません")
                points.point_id(branch)  # InvalidInput("unknown-branch") when not a service point
                owned_raw = r["owned"].lower() or "yes"
                if owned_raw not in ("yes", "no"):
                    raise RowError("invalid-owned", f"owned は yes か no です（{r['owned']}）")
                year = None
                if r["year"]:
                    year = parse_year(r["year"])
                    if year is None:
                        raise RowError("invalid-year", f"出版年 {r['year']} は読めません")
                values = {
                    "title": r["title"],
                    "title_yomi": r["title_yomi"],
                    "creator": r["creator"],
                    "creator_yomi": r["creator_yomi"],
                    "publisher": r["publisher"],
                    "year": year,
                    "pub_date": r["year"],
                    "edition": "",
                    "isbn": parse_isbn(r["isbn"]),
                    "ndc": r["ndc"],
                    "language": "",
                    "material_type": parse_material(r["material_type"]),
                    "note": "",
                }
            except InvalidInput as exc:
                report.errors.append((line, exc.reason, exc.message))
                continue
            except RowError as exc:
                report.errors.append((line, exc.code, exc.message))
                continue
            sid = r["source_id"]
            bib = by_id.get(sid)
            if bib is None:
                bib = by_id[sid] = BibRow(sid, values, line)
            elif bib.values != values:
                report.errors.append(
                    (line, "conflicting-record", f"source_id {sid} の書誌が {bib.line} 行目と食い違います")
                )
                continue
            barcodes.add(barcode)
            bib.items.append(ItemRow(barcode, branch, owned_raw == "yes", r["call_number"], line))
    return list(by_id.values())


# --- writing ------------------------------------------------------------------------------


def _allocate_barcodes(n: int) -> list[str]:
    """``n`` new numeric barcodes for generated copies, never one already in use."""
    if n <= 0:
        return []
    row = models.Setting.get_or_none(models.Setting.key == "next_barcode")
    value = int(row.value) if row else 2000000001
    out: list[str] = []
    while len(out) < n:
        candidates = [str(v) for v in range(value, value + (n - len(out)))]
        used = {
            it.barcode
            for it in models.Item.select(models.Item.barcode).where(models.Item.barcode.in_(candidates))
        }
        out.extend(c for c in candidates if c not in used)
        value += len(candidates)
    models.Setting.insert(key="next_barcode", value=str(value)).on_conflict_replace().execute()
    return out


def with_readings(values: dict) -> dict:
    """Readings for a record catalogued without them, marked as generated (Bib.yomi_generated)."""
    out = dict(values, yomi_generated=False)
    if not out.get("title_yomi") and out.get("title"):
        out["title_yomi"] = reading(out["title"])
        out["yomi_generated"] = True
    if not out.get("creator_yomi") and out.get("creator"):
        out["creator_yomi"] = reading(out["creator"])
        out["yomi_generated"] = True
    return out


def _write_chunk(chunk: list[BibRow], report: ImportReport) -> None:
    source_ids = [b.source_id for b in chunk]
    existing = {b.source_id: b for b in models.Bib.select().where(models.Bib.source_id.in_(source_ids))}
    wanted_barcodes = [i.barcode for b in chunk for i in b.items if i.barcode]
    taken = {
        it.barcode: it.bib_id
        for it in models.Item.select(models.Item.barcode, models.Item.bib).where(
            models.Item.barcode.in_(wanted_barcodes)
        )
    } if wanted_barcodes else {}
    # Copies whose barcode another record already has are refused here, before anything is
    # written; a new record none of whose copies can go in is not created at all.
    kept: list[BibRow] = []
    for row in chunk:
        own = existing.get(row.source_id)
        items: list[ItemRow] = []
        for item in row.items:
            owner = taken.get(item.barcode) if item.barcode else None
            if owner is None:
                items.append(item)
            elif own is None or owner != own.id:
                report.errors.append((item.line, "barcode-in-use", f"バーコード {item.barcode} は別の書誌の資料です"))
        if own is None and row.items and not items:
            continue
        row.items = items
        kept.append(row)
    chunk = kept
    have_at: dict[tuple[int, int], int] = {}
    if any(not i.barcode for b in chunk for i in b.items) and existing:
        ids = [b.id for b in existing.values()]
        for bib_id, home_id, n in models.db.execute_sql(
            f"SELECT bib_id, home_id, count(*) FROM item WHERE bib_id IN ({','.join('?' * len(ids))}) "
            "GROUP BY bib_id, home_id",
            ids,
        ):
            have_at[(bib_id, home_id)] = n
    new_items: list[dict] = []
    prepared = [dict(with_readings(row.values), title_key=title_key(row.values["title"])) for row in chunk]
    # New records in bulk (one INSERT per 50 rows, not one per record).
    fresh: dict[str, dict] = {}
    for row, values in zip(chunk, prepared):
        if row.source_id not in existing and row.source_id not in fresh:
            fresh[row.source_id] = dict(values, source_id=row.source_id, created_at=clock.now())
    payload = list(fresh.values())
    for start in range(0, len(payload), 50):
        models.Bib.insert_many(payload[start : start + 50]).execute()
    created = {
        b.source_id: b for b in models.Bib.select().where(models.Bib.source_id.in_(list(fresh)))
    } if fresh else {}
    to_index: list[models.Bib] = []
    for row, values in zip(chunk, prepared):
        bib = existing.get(row.source_id)
        if bib is None:
            bib = existing[row.source_id] = created[row.source_id]
            report.records_added += 1
            changed = True
        else:
            changed = any(getattr(bib, k) != v for k, v in values.items())
            if changed:
                models.Bib.update(**values).where(models.Bib.id == bib.id).execute()
                for k, v in values.items():
                    setattr(bib, k, v)
                report.records_updated += 1
            else:
                report.records_unchanged += 1
        generated = [i for i in row.items if not i.barcode]
        if generated:
            branch_id = points.point_id(generated[0].branch)
            have = have_at.get((bib.id, branch_id), 0)
            for _ in range(max(0, len(generated) - have)):
                new_items.append({"barcode": None, "bib": bib.id, "home": branch_id, "location": branch_id})
        for item in row.items:
            if not item.barcode:
                continue
            branch_id = points.point_id(item.branch)
            new_items.append({
                "barcode": item.barcode, "bib": bib.id, "home": branch_id, "location": branch_id,
                "owned": item.owned, "call_number": item.call_number,
            })
        if changed:
            to_index.append(bib)
    search_index.index_bibs(list({b.id: b for b in to_index}.values()))
    barcodes = iter(_allocate_barcodes(sum(1 for it in new_items if it["barcode"] is None)))
    now = clock.now()
    for it in new_items:
        if it["barcode"] is None:
            it["barcode"] = next(barcodes)
        it.setdefault("owned", True)
        it.setdefault("call_number", "")
        it["created_at"] = now
    for start in range(0, len(new_items), 200):
        models.Item.insert_many(new_items[start : start + 200]).execute()
    report.items_added += len(new_items)


def import_catalog(
    path: str | Path,
    fmt: str,
    branch: str = "KIT",
    copies: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import a catalogue file. ``progress(done, total)`` is called after each chunk."""
    path = Path(path)
    if fmt not in FORMATS:
        raise InvalidInput("invalid-format", f"形式は {' / '.join(FORMATS)} のいずれかです。")
    if not path.is_file():
        raise InvalidInput("no-file", f"ファイル {path} がありません。")
    if copies < 0 or copies > 50:
        raise InvalidInput("invalid-copies", "--copies は 0〜50 で指定してください。")
    branch = (branch or "KIT").strip().upper()
    points.point_id(branch)
    report = ImportReport()
    try:
        if fmt == "nacsis-tsv":
            bibs = _read_nacsis(path, branch, copies, report)
        else:
            bibs = _read_library_csv(path, report)
    except UnicodeDecodeError:
        raise InvalidInput("not-utf8", f"{path.name} は UTF-8 ではありません。") from None
    except csv.Error as exc:
        raise InvalidInput("bad-csv", f"{path.name} を読めません: {exc}") from None
    total = len(bibs)
    for start in range(0, total, CHUNK):
        chunk = bibs[start : start + CHUNK]
        with models.write_tx():
            _write_chunk(chunk, report)
        if progress:
            progress(min(start + CHUNK, total), total)
    report.errors.sort()
    return report


# --- reading ------------------------------------------------------------------------------


def record_detail(bib_id: int) -> dict:
    """A record with all its items, for the record screen and ``search --json``."""
    bib = models.Bib.get_or_none(models.Bib.id == bib_id)
    if bib is None:
        raise InvalidInput("unknown-record", f"書誌 {bib_id} はありません。")
    items = (
        models.Item.select(models.Item, models.ServicePoint)
        .join(models.ServicePoint, on=(models.Item.location == models.ServicePoint.id))
        .where(models.Item.bib == bib.id)
        .order_by(models.Item.barcode)
    )
    homes = {p.id: p.code for p in models.ServicePoint.select()}
    due = {
        ln.item_id: ln.due
        for ln in models.Loan.select(models.Loan.item, models.Loan.due).join(models.Item).where(
            models.Item.bib == bib.id
        )
    }
    waiting = models.Hold.select().where(
        (models.Hold.bib == bib.id) & (models.Hold.status.in_(("waiting", "in-transit", "ready")))
    ).count()
    return {
        "id": bib.id,
        "source_id": bib.source_id,
        "title": bib.title,
        "title_yomi": bib.title_yomi,
        "yomi_generated": bib.yomi_generated,
        "creator": bib.creator,
        "creator_yomi": bib.creator_yomi,
        "publisher": bib.publisher,
        "year": bib.year,
        "pub_date": bib.pub_date,
        "isbn": bib.isbn,
        "ndc": bib.ndc,
        "language": bib.language,
        "material_type": bib.material_type,
        "note": bib.note,
        "holds_waiting": waiting,
        "items": [
            {
                "barcode": it.barcode,
                "branch": it.location.code,
                "home": homes.get(it.home_id, ""),
                "status": it.status,
                "owned": it.owned,
                "call_number": it.call_number,
                "due": due[it.id].isoformat() if it.id in due else None,
            }
            for it in items
        ],
    }


def iter_bibs(ids: Iterable[int]) -> list[models.Bib]:
    return list(models.Bib.select().where(models.Bib.id.in_(list(ids))))

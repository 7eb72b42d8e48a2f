"""Helpers for the search tests: small catalogues written as files and imported the way staff
import them, and a brute-force scan that does not use the index."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from counter_app.services import catalog
from policies.text import fold

HEADER = catalog.LIBRARY_CSV_HEADER
_CJK = "\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\u3005\u3006\u30fc\U00020000-\U0003134f"


def find_real_catalog(conftest_path: Path) -> Path | None:
    """../shared/data/nacsis-cat-10000.tsv next to the project, or next to a folder above it
    (a git worktree sits one level deeper than the project)."""
    if conftest_path.is_file():
        return conftest_path
    for up in Path(__file__).resolve().parents:
        candidate = up / "shared" / "data" / "nacsis-cat-10000.tsv"
        if candidate.is_file():
            return candidate
    return None


def import_rows(tmp_path: Path, rows: list[dict], name: str = "cat.csv") -> catalog.ImportReport:
    """Import records given as dicts (title required; other columns optional), one copy each."""
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for n, r in enumerate(rows, start=1):
            full = {
                "source_id": f"T{n:05d}", "title_yomi": "", "creator": "", "creator_yomi": "",
                "publisher": "", "year": "", "isbn": "", "ndc": "", "material_type": "book",
                "barcode": f"88{n:08d}", "branch": "KIT", "owned": "yes", "call_number": "",
            }
            full.update(r)
            w.writerow([full[h] for h in HEADER])
    report = catalog.import_catalog(path, "library-csv")
    assert not report.errors, report.errors
    return report


def brute_text(fields: list[str]) -> str:
    """Every field folded; Latin words start with \\x01; runs split by \\x02, fields by \\x03."""
    out = []
    for f in fields:
        s = re.sub(f"(?<=[{_CJK}]) +(?=[{_CJK}])", "", fold(f))
        parts = re.findall(f"[{_CJK}]+|[^\\s{_CJK}]+", s)
        out.append("\x02".join(p if re.match(f"[{_CJK}]", p) else "\x01" + p for p in parts))
    return "\x03" + "\x03".join(out) + "\x03"


def needles(query: str) -> list[str]:
    """What must occur in a record's brute text: Japanese as a substring, Latin as a word start."""
    out = []
    for w in fold(query).split():
        for part in re.findall(f"[{_CJK}]+|[^\\s{_CJK}]+", w):
            out.append(part if re.match(f"[{_CJK}]", part) else "\x01" + part)
    return out


def brute_ids(records: list[tuple[int, str]], query: str) -> set[int]:
    want = needles(query)
    return {rid for rid, text in records if all(n in text for n in want)}

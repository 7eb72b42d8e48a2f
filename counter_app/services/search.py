"""Catalogue search over the FTS5 index: every query word must match (AND); ranking puts the
exact title first, then titles that start with the query, then titles that contain it, then
matches in other fields; ties go to the newest year."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from stdnum import isbn as stdisbn

import models
from policies.text import query_terms, title_key

MAX_LIMIT = 500


@dataclass
class Hit:
    id: int
    source_id: str
    title: str
    creator: str
    publisher: str
    year: int | None
    material_type: str
    items: list[dict] = field(default_factory=list)
    holds_waiting: int = 0

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "source_id": self.source_id,
            "title": self.title,
            "creator": self.creator,
            "publisher": self.publisher,
            "year": self.year,
            "material_type": self.material_type,
            "items": self.items,
            "holds_waiting": self.holds_waiting,
        }

    def availability(self) -> dict[str, tuple[int, int]]:
        """{branch: (available copies, copies)} by current location."""
        out: dict[str, tuple[int, int]] = {}
        for it in self.items:
            avail, total = out.get(it["branch"], (0, 0))
            out[it["branch"]] = (avail + (it["status"] == "available"), total + 1)
        return out


@dataclass
class SearchResult:
    query: str
    total: int
    hits: list[Hit]
    offset: int = 0

    def as_json(self) -> dict:
        return {"total": self.total, "results": [h.as_json() for h in self.hits]}


def _isbn_term(word: str) -> str | None:
    digits = re.sub(r"[\s\-‐－]", "", unicodedata.normalize("NFKC", word)).upper()
    if re.fullmatch(r"\d{9}[\dX]|\d{13}", digits) and stdisbn.is_valid(digits):
        return '"' + stdisbn.to_isbn13(digits).replace("-", "") + '"'
    return None


def build_match(query: str) -> str:
    terms: list[str] = []
    for word in unicodedata.normalize("NFKC", query or "").split():
        isbn = _isbn_term(word)
        terms.extend([isbn] if isbn else query_terms(word))
    return " AND ".join(terms)


def search(query: str, limit: int = 50, offset: int = 0) -> SearchResult:
    """First page of hits with their items; ``total`` counts every hit."""
    limit = max(1, min(int(limit), MAX_LIMIT))
    match = build_match(query)
    if not match:
        return SearchResult(query, 0, [], offset)
    total = models.db.execute_sql("SELECT count(*) FROM bib_fts WHERE bib_fts MATCH ?", (match,)).fetchone()[0]
    if total == 0:
        return SearchResult(query, 0, [], offset)
    key = title_key(query)
    like = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = models.db.execute_sql(
        """
        SELECT b.id, b.source_id, b.title, b.creator, b.publisher, b.year, b.material_type
        FROM bib_fts JOIN bib b ON b.id = bib_fts.rowid
        WHERE bib_fts MATCH ?
        ORDER BY CASE WHEN b.title_key = ? THEN 0
                      WHEN b.title_key LIKE ? ESCAPE '\\' THEN 1
                      WHEN instr(b.title_key, ?) > 0 THEN 2
                      ELSE 3 END,
                 b.year IS NULL, b.year DESC, b.id
        LIMIT ? OFFSET ?
        """,
        (match, key, like + "%", key, limit, offset),
    ).fetchall()
    hits = [Hit(*r) for r in rows]
    _attach_items(hits)
    return SearchResult(query, total, hits, offset)


def _attach_items(hits: list[Hit]) -> None:
    if not hits:
        return
    by_id = {h.id: h for h in hits}
    ids = list(by_id)
    marks = ",".join("?" * len(ids))
    for bib_id, barcode, branch, status in models.db.execute_sql(
        f"""SELECT i.bib_id, i.barcode, p.code, i.status FROM item i
            JOIN service_point p ON p.id = i.location_id
            WHERE i.bib_id IN ({marks}) ORDER BY p.id, i.barcode""",
        ids,
    ):
        by_id[bib_id].items.append({"barcode": barcode, "branch": branch, "status": status})
    for bib_id, n in models.db.execute_sql(
        f"""SELECT bib_id, count(*) FROM hold WHERE bib_id IN ({marks})
            AND status IN ('waiting', 'in-transit', 'ready') GROUP BY bib_id""",
        ids,
    ):
        by_id[bib_id].holds_waiting = n

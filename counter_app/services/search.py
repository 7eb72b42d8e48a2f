"""Catalogue search over the FTS5 index ``bib_fts`` (see search_index.py).

A query is words separated by spaces; every word must match (AND). A word may name its field:
``title:`` ``creator:`` ``publisher:`` ``isbn:`` ``ndc:`` ``yomi:`` (or 書名: 著者: 出版者:
ISBN: 分類: ヨミ:); a plain word matches any field, a plain ISBN (10 or 13 digits, hyphens or
not) finds its record.

Ranking: the exact title first, then titles that start with the query, then titles that
contain it, then matches in other fields; within each group the newest year first. The groups
are asked of the index one after the other, each in the index's own rowid order (= newest
year first), so a first page costs one short walk of the index even when a one-character
word matches a large part of the catalogue; ``total`` is the index's count of every match.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from dataclasses import dataclass, field

from stdnum import isbn as stdisbn

import models
from counter_app.services import InvalidInput
from counter_app.services.search_index import bib_id
from policies.text import fold, title_key, word_terms

MAX_LIMIT = 500
MAX_QUERY = 200  # characters
MAX_WORDS = 12

FIELDS = {
    "title": "title", "書名": "title", "タイトル": "title",
    "creator": "creator", "author": "creator", "著者": "creator", "著者名": "creator",
    "publisher": "publisher", "出版者": "publisher", "出版社": "publisher",
    "isbn": "isbn",
    "ndc": "ndc", "分類": "ndc",
    "yomi": "yomi", "ヨミ": "yomi", "よみ": "yomi", "読み": "yomi",
}
FIELD_NAMES = ("title", "creator", "publisher", "isbn", "ndc", "yomi")


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


# --- the query -------------------------------------------------------------------------------


@dataclass
class Plan:
    """A parsed query: the FTS5 expression, and the words that rank by title."""

    match: str
    rank_terms: list[str]  # FTS5 phrases of the plain and title: words, in order
    rank_key: str  # those words as a title key, for the exact-title group


def _isbn13(word: str) -> str | None:
    digits = re.sub(r"[\s\-‐－]", "", unicodedata.normalize("NFKC", word)).upper()
    if re.fullmatch(r"\d{9}[\dX]|\d{13}", digits) and stdisbn.is_valid(digits):
        return stdisbn.to_isbn13(digits).replace("-", "")
    return None


def _isbn_expr(value: str) -> str:
    isbn = _isbn13(value)
    if isbn:
        return f'isbn : "{isbn}"'
    digits = re.sub(r"[\s\-‐－]", "", unicodedata.normalize("NFKC", value)).lower()
    if not re.fullmatch(r"\d+x?", digits):
        raise InvalidInput("invalid-isbn", f"ISBN「{value}」は数字（10桁か13桁、ハイフン可）で入力してください。")
    return f'isbn : "{digits}"*'


def _split(query: str) -> list[tuple[str | None, str]]:
    """``'title:こころ 漱石'`` → [('title', 'こころ'), (None, '漱石')]."""
    words: list[tuple[str | None, str]] = []
    pending: str | None = None
    for raw in unicodedata.normalize("NFKC", query or "").split():
        name, sep, value = raw.partition(":")
        fld = FIELDS.get(name.lower()) if sep else None
        if fld:
            if value:
                words.append((fld, value))
                pending = None
            else:
                pending = fld  # "title: こころ": the field applies to the next word
            continue
        words.append((pending, raw))
        pending = None
    return words


def plan(query: str, fields: dict[str, str] | None = None) -> Plan:
    """Parse a query (and optional per-field values) into an FTS5 expression."""
    query = query or ""
    if len(query) > MAX_QUERY:
        raise InvalidInput("query-too-long", f"検索語が長すぎます（{MAX_QUERY}文字まで）。")
    words = _split(query)
    for name, value in (fields or {}).items():
        if name not in FIELD_NAMES:
            raise InvalidInput("unknown-field", f"検索項目「{name}」はありません（{'・'.join(FIELD_NAMES)}）。")
        words.extend((name, w) for w in unicodedata.normalize("NFKC", value or "").split())
    if len(words) > MAX_WORDS:
        raise InvalidInput("too-many-words", f"検索語は {MAX_WORDS} 語までです。")
    parts: list[str] = []
    rank_terms: list[str] = []
    rank_words: list[str] = []
    for fld, word in words:
        if fld == "isbn":
            parts.append(_isbn_expr(word))
            continue
        if fld is None and (isbn := _isbn13(word)):
            parts.append(f'isbn : "{isbn}"')
            continue
        terms = word_terms_of(word)
        if not terms:
            continue
        body = " AND ".join(terms)
        parts.append(f"{fld} : ({body})" if fld else (body if len(terms) == 1 else f"({body})"))
        if fld in (None, "title"):
            rank_terms.extend(terms)
            rank_words.append(word)
    return Plan(" AND ".join(parts), rank_terms, title_key(" ".join(rank_words)))


def word_terms_of(word: str) -> list[str]:
    terms: list[str] = []
    for w in fold(word).split(" "):
        if w:
            terms.extend(word_terms(w))
    return terms


def build_match(query: str) -> str:
    """The FTS5 expression for a query (kept for callers of the first version)."""
    return plan(query).match


# --- running it ------------------------------------------------------------------------------


def _sql(sql: str, params=()) -> list[tuple]:
    try:
        return models.db.execute_sql(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        if "fts5" in str(exc) or "syntax" in str(exc):
            raise InvalidInput("bad-query", "検索語を解釈できませんでした。記号を減らしてください。") from None
        raise


def _tiers(p: Plan) -> list[str]:
    """FTS5 expressions of the ranking groups after the exact title, each disjoint."""
    m = p.match
    if not p.rank_terms:
        return [m]
    first = p.rank_terms[0]
    in_title = "title : (" + " AND ".join(p.rank_terms) + ")"
    starts = f"title : ^{first}"
    return [
        f"({m}) AND ({starts}) AND ({in_title})",
        f"(({m}) AND ({in_title})) NOT ({starts})",
        f"({m}) NOT ({in_title})",
    ]


def _not_in(keys: list[int]) -> tuple[str, list]:
    if not keys:
        return "", []
    return f" AND rowid NOT IN ({','.join('?' * len(keys))})", list(keys)


def count(query: str, fields: dict[str, str] | None = None) -> int:
    p = plan(query, fields)
    if not p.match:
        return 0
    return _sql("SELECT count(*) FROM bib_fts WHERE bib_fts MATCH ?", (p.match,))[0][0]


def match_ids(query: str, fields: dict[str, str] | None = None) -> set[int]:
    """Every matching record id (for checks of recall; the screens page with :func:`search`)."""
    p = plan(query, fields)
    if not p.match:
        return set()
    return {bib_id(r[0]) for r in _sql("SELECT rowid FROM bib_fts WHERE bib_fts MATCH ?", (p.match,))}


def ranked_keys(p: Plan, limit: int, offset: int) -> list[int]:
    """Index keys of one page, in ranking order."""
    exact: list[int] = []
    if p.rank_key:
        keys = [r[0] for r in _sql("SELECT fts_key FROM bib WHERE title_key = ? AND fts_key IS NOT NULL", (p.rank_key,))]
        if keys:
            marks = ",".join("?" * len(keys))
            exact = [
                r[0]
                for r in _sql(
                    f"SELECT rowid FROM bib_fts WHERE bib_fts MATCH ? AND rowid IN ({marks}) ORDER BY rowid DESC",
                    (p.match, *keys),
                )
            ]
    page = exact[offset : offset + limit]
    skip = max(0, offset - len(exact))
    need = limit - len(page)
    extra, extra_params = _not_in(exact)
    for expr in _tiers(p):
        if need <= 0:
            break
        if skip > 0:
            n = _sql(f"SELECT count(*) FROM bib_fts WHERE bib_fts MATCH ?{extra}", (expr, *extra_params))[0][0]
            if n <= skip:
                skip -= n
                continue
        rows = _sql(
            f"SELECT rowid FROM bib_fts WHERE bib_fts MATCH ?{extra} ORDER BY rowid DESC LIMIT ? OFFSET ?",
            (expr, *extra_params, need, skip),
        )
        skip = 0
        page.extend(r[0] for r in rows)
        need -= len(rows)
    return page


def search(query: str, limit: int = 50, offset: int = 0, fields: dict[str, str] | None = None) -> SearchResult:
    """One page of hits with their items and waiting holds; ``total`` counts every hit."""
    limit = max(1, min(int(limit), MAX_LIMIT))
    offset = max(0, int(offset))
    p = plan(query, fields)
    if not p.match:
        return SearchResult(query, 0, [], offset)
    total = _sql("SELECT count(*) FROM bib_fts WHERE bib_fts MATCH ?", (p.match,))[0][0]
    if total == 0 or offset >= total:
        return SearchResult(query, total, [], offset)
    ids = [bib_id(k) for k in ranked_keys(p, limit, offset)]
    hits: list[Hit] = []
    if ids:
        marks = ",".join("?" * len(ids))
        by_id = {
            r[0]: Hit(*r)
            for r in _sql(
                "SELECT id, source_id, title, creator, publisher, year, material_type FROM bib "
                f"WHERE id IN ({marks})",
                ids,
            )
        }
        hits = [by_id[i] for i in ids if i in by_id]
        _attach_items(hits)
    return SearchResult(query, total, hits, offset)


def _attach_items(hits: list[Hit]) -> None:
    if not hits:
        return
    by_id = {h.id: h for h in hits}
    ids = list(by_id)
    marks = ",".join("?" * len(ids))
    for b_id, barcode, branch, status in models.db.execute_sql(
        f"""SELECT i.bib_id, i.barcode, p.code, i.status FROM item i
            JOIN service_point p ON p.id = i.location_id
            WHERE i.bib_id IN ({marks}) ORDER BY p.id, i.barcode""",
        ids,
    ):
        by_id[b_id].items.append({"barcode": barcode, "branch": branch, "status": status})
    for b_id, n in models.db.execute_sql(
        f"""SELECT bib_id, count(*) FROM hold WHERE bib_id IN ({marks})
            AND status IN ('waiting', 'in-transit', 'ready') GROUP BY bib_id""",
        ids,
    ):
        by_id[b_id].holds_waiting = n

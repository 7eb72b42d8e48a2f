"""Catalogue search over the FTS5 index ``bib_fts`` (see search_index.py).

A query is words separated by spaces; every word must match (AND). A word may name its field:
``title:`` ``creator:`` ``publisher:`` ``isbn:`` ``ndc:`` ``yomi:`` (or 書名: 著者: 出版者:
ISBN: 分類: ヨミ:); a plain word matches any field, a plain ISBN (10 or 13 digits, hyphens or
not) finds its record.

Ranking: the exact title first, then titles that start with the query, then titles that
contain it, then matches in other fields; within each group the newest year first (the index's
own rowid order, see search_index.py). Up to ``SMALL`` hits are ranked in full from one walk of
the index. Above that (a one-character word can match a sixth of a million-record catalogue)
the page is the exact title, then a bounded set of titles starting with the query from the
title_key index, then every other hit newest first, so a first page costs a few lookups and
one short walk; ``total`` is still the index's count of every match.
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
    # The same expression as (column or None for any column, phrases ANDed), to check a record's
    # index row without asking FTS5 again (see _row_matches).
    parts: list[tuple[str | None, list[str]]] = field(default_factory=list)


def _isbn13(word: str) -> str | None:
    digits = re.sub(r"[\s\-‐－]", "", unicodedata.normalize("NFKC", word)).upper()
    if re.fullmatch(r"\d{9}[\dX]|\d{13}", digits) and stdisbn.is_valid(digits):
        return stdisbn.to_isbn13(digits).replace("-", "")
    return None


def _isbn_term(value: str) -> str:
    """An isbn: word as a phrase: the full ISBN-13, or leading digits (prefix)."""
    isbn = _isbn13(value)
    if isbn:
        return f'"{isbn}"'
    digits = re.sub(r"[\s\-‐－]", "", unicodedata.normalize("NFKC", value)).lower()
    if not re.fullmatch(r"\d+x?", digits):
        raise InvalidInput("invalid-isbn", f"ISBN「{value}」は数字（10桁か13桁、ハイフン可）で入力してください。")
    return f'"{digits}"*'


def _split(query: str) -> list[tuple[str | None, str]]:
    """``'title:こころ 漱石'`` → [('title', 'こころ'), (None, '漱石')]."""
    words: list[tuple[str | None, str]] = []
    pending: str | None = None
    for raw in unicodedata.normalize("NFKC", query or "").split():
        name, sep, value = raw.partition(":")
        fld = FIELDS.get(name.lower()) if sep else None
        if not sep and raw.lower() == "isbn":
            fld = "isbn"  # "ISBN 978-4-…" as printed on a book
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
        # A word with its own prefix keeps it ("著者:漱石" while searching titles); the others
        # search the chosen field.
        words.extend((fld or name, w) for fld, w in _split(value or ""))
    if any(len(w) > 1 and w[0] in "-−" and not w[1:2].isdigit() for _f, w in words):
        raise InvalidInput("unsupported-operator", "「-」で語を除く検索はできません。探したい語だけを入力してください。")
    if len(words) > MAX_WORDS:
        raise InvalidInput("too-many-words", f"検索語は {MAX_WORDS} 語までです。")
    parts: list[tuple[str | None, list[str]]] = []
    rank_terms: list[str] = []
    rank_words: list[str] = []
    for fld, word in words:
        if fld == "isbn":
            parts.append(("isbn", [_isbn_term(word)]))
            continue
        if fld is None and (isbn := _isbn13(word)):
            parts.append(("isbn", [f'"{isbn}"']))
            continue
        terms = word_terms_of(word)
        if not terms:
            continue
        parts.append((fld, terms))
        if fld in (None, "title"):
            rank_terms.extend(terms)
            rank_words.append(word)
    exprs = []
    for fld, terms in parts:
        body = " AND ".join(terms)
        exprs.append(f"{fld} : ({body})" if fld else (body if len(terms) == 1 else f"({body})"))
    return Plan(" AND ".join(exprs), rank_terms, title_key(" ".join(rank_words)), parts)


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


SMALL = 1000  # up to this many hits are ranked in full; above, within a bounded candidate set
PREFIX_CANDIDATES = 500  # titles starting with the query, looked up in the title_key index


def _phrase(term: str) -> tuple[str, bool]:
    """'"日本 本語"' → ('日本 本語', False); '"日"*' → ('日', True)."""
    prefix = term.endswith("*")
    return term.rstrip("*").strip('"'), prefix


def _title_group(tokens: str, phrases: list[tuple[str, bool]]) -> int:
    """1 = the title starts with the first word and holds every word, 2 = holds every word,
    3 = the words are elsewhere. ``tokens`` is the title's index tokens (bib_fts.title)."""
    t = " " + tokens + " "
    for body, prefix in phrases:
        if (" " + body + ("" if prefix else " ")) not in t:
            return 3
    body, prefix = phrases[0]
    return 1 if t.startswith(" " + body + ("" if prefix else " ")) else 2


def _exact_keys(p: Plan) -> list[int]:
    """Index keys of records whose whole title is the query (and that match all of it)."""
    if not p.rank_key:
        return []
    keys = [r[0] for r in _sql("SELECT fts_key FROM bib WHERE title_key = ? AND fts_key IS NOT NULL", (p.rank_key,))]
    return _verified(p, sorted(keys))


def _content(keys: list[int]) -> dict[int, tuple[str, ...]]:
    """The index rows (tokens of every column) of some records, by key."""
    out: dict[int, tuple[str, ...]] = {}
    cols = ", ".join(f"c{i}" for i in range(len(models.FTS_COLUMNS)))
    for start in range(0, len(keys), 900):
        chunk = keys[start : start + 900]
        marks = ",".join("?" * len(chunk))
        for row in _sql(f"SELECT id, {cols} FROM bib_fts_content WHERE id IN ({marks})", chunk):
            out[row[0]] = row[1:]
    return out


def _has(text: str, term: str) -> bool:
    body, prefix = _phrase(term)
    return (" " + body + ("" if prefix else " ")) in (" " + (text or "") + " ")


def _row_matches(p: Plan, row: tuple[str, ...]) -> bool:
    """Does an index row hold every part of the query? The same test FTS5 makes (each phrase
    as whole tokens, the last one as a prefix when it ends in *), in Python, so that checking
    a few candidates does not start FTS5 once per record. It may say no where FTS5 would say
    yes (a token FTS5 splits further, such as wi-fi), never the reverse."""
    for fld, terms in p.parts:
        texts = [row[models.FTS_COLUMNS.index(fld)]] if fld else row
        for term in terms:
            if not any(_has(t, term) for t in texts):
                return False
    return True


def _verified(p: Plan, keys: list[int]) -> list[int]:
    """The keys (in order) whose records match the whole query."""
    rows = _content(keys)
    return [k for k in keys if k in rows and _row_matches(p, rows[k])]


def _rank_small(p: Plan, keys: list[int]) -> list[int]:
    """Every hit ranked: exact title, title starts with the query, title holds it, the rest;
    ``keys`` are in index order (newest year first), which each group keeps."""
    if not p.rank_terms:
        return keys
    in_hits = set(keys)
    exact = [k for k in _exact_keys(p) if k in in_hits]
    shown = set(exact)
    rest = [k for k in keys if k not in shown]
    titles: dict[int, str] = {}
    for start in range(0, len(rest), 900):
        chunk = rest[start : start + 900]
        marks = ",".join("?" * len(chunk))
        titles.update(_sql(f"SELECT id, c0 FROM bib_fts_content WHERE id IN ({marks})", chunk))
    phrases = [_phrase(t) for t in p.rank_terms]
    groups: dict[int, list[int]] = {1: [], 2: [], 3: []}
    for k in rest:
        groups[_title_group(titles.get(k) or "", phrases)].append(k)
    return exact + groups[1] + groups[2] + groups[3]


def _fts_page(expr: str, exclude: list[int], limit: int, skip: int) -> tuple[list[int], int]:
    """(up to ``limit`` keys of ``expr`` in index order after ``skip``, how many were skipped
    past the end) — a count only when the page starts beyond the group."""
    extra = f" AND rowid NOT IN ({','.join('?' * len(exclude))})" if exclude else ""
    if skip > 0:
        n = _sql(f"SELECT count(*) FROM bib_fts WHERE bib_fts MATCH ?{extra}", (expr, *exclude))[0][0]
        if n <= skip:
            return [], n
    rows = _sql(
        f"SELECT rowid FROM bib_fts WHERE bib_fts MATCH ?{extra} ORDER BY rowid LIMIT ? OFFSET ?",
        (expr, *exclude, limit, skip),
    )
    return [r[0] for r in rows], skip


def _rank_large(p: Plan, limit: int, offset: int) -> list[int]:
    """One page when the hits are many: the exact title, then titles that start with the query,
    then every other hit, each group newest first. Titles starting with the query come from
    the title_key index when there are few of them (checked against the index row), or else
    from the index itself (they are then common enough for its walk to stop early)."""
    head = _exact_keys(p)
    groups: list[str] = []
    if p.rank_key:
        hi = p.rank_key + "\U0010ffff"
        cands = [
            r[0]
            for r in _sql(
                "SELECT fts_key FROM bib WHERE title_key > ? AND title_key < ? AND fts_key IS NOT NULL LIMIT ?",
                (p.rank_key, hi, PREFIX_CANDIDATES + 1),
            )
        ]
        if len(cands) <= PREFIX_CANDIDATES:
            cands.sort()
            need = offset + limit - len(head)
            for start in range(0, len(cands), 100):
                if need <= 0:
                    break
                got = _verified(p, cands[start : start + 100])
                head.extend(got)
                need -= len(got)
            groups = [p.match]
        else:
            in_title = "title : (" + " AND ".join(p.rank_terms) + ")"
            starts = f"(title : ^{p.rank_terms[0]}) AND ({in_title})"
            groups = [f"({p.match}) AND {starts}", f"({p.match}) NOT ({starts})"]
    else:
        groups = [p.match]
    page = head[offset : offset + limit]
    skip = max(0, offset - len(head))
    for expr in groups:
        if len(page) >= limit:
            break
        got, skipped = _fts_page(expr, head, limit - len(page), skip)
        page.extend(got)
        skip -= skipped
    return page


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


def ranked_keys(p: Plan, limit: int, offset: int) -> tuple[int, list[int]]:
    """(total, index keys of one page in ranking order)."""
    keys = [r[0] for r in _sql("SELECT rowid FROM bib_fts WHERE bib_fts MATCH ? ORDER BY rowid LIMIT ?", (p.match, SMALL + 1))]
    if len(keys) <= SMALL:
        return len(keys), _rank_small(p, keys)[offset : offset + limit]
    total = _sql("SELECT count(*) FROM bib_fts WHERE bib_fts MATCH ?", (p.match,))[0][0]
    if offset >= total:
        return total, []
    return total, _rank_large(p, limit, offset)


def search(query: str, limit: int = 50, offset: int = 0, fields: dict[str, str] | None = None) -> SearchResult:
    """One page of hits with their items and waiting holds; ``total`` counts every hit."""
    limit = max(1, min(int(limit), MAX_LIMIT))
    offset = max(0, int(offset))
    p = plan(query, fields)
    if not p.match:
        return SearchResult(query, 0, [], offset)
    total, keys = ranked_keys(p, limit, offset)
    ids = [bib_id(k) for k in keys]
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

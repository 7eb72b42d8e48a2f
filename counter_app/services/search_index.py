"""Keeping the search index (SQLite FTS5 table ``bib_fts``) in step with ``bib``.

One index row per record. Its columns hold pre-split, folded tokens (policies.text):
``title``, ``creator``, ``publisher``, ``yomi`` (title and creator readings), ``isbn`` (13 and
10 digits), ``ndc``, ``other`` (NCID / library id, series). Its rowid is not the record id but
``fts_key = ((9999 - year) << 32) | id``: FTS5 walks its rows in ascending rowid order (its
fast direction), so "newest year first" (no year last) is the index's own order and a first page
of a common word stops after 50 rows instead of sorting every match. The key is kept in ``Bib.fts_key``; :func:`bib_id` turns it back into the id.

Called inside the transaction that writes the record, so the index never disagrees with it.
"""

from __future__ import annotations

from stdnum import isbn as stdisbn

import models
from policies.text import index_tokens

ID_BITS = 32
ID_MASK = (1 << ID_BITS) - 1
INSERT = "INSERT INTO bib_fts (rowid, title, creator, publisher, yomi, isbn, ndc, other) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"


def fts_key(bib_id: int, year: int | None) -> int:
    y = year if year and 0 < year < 10000 else 0
    return ((9999 - y) << ID_BITS) | bib_id


def bib_id(key: int) -> int:
    return key & ID_MASK


def isbn_tokens(isbn: str) -> str:
    """'9784003101018' → '9784003101018 4003101014' (both forms searchable by prefix)."""
    if not isbn:
        return ""
    out = [isbn]
    if isbn.startswith("978"):
        try:
            out.append(stdisbn.to_isbn10(isbn))
        except Exception:
            pass
    return " ".join(out)


def fts_values(
    title: str,
    creator: str = "",
    publisher: str = "",
    title_yomi: str = "",
    creator_yomi: str = "",
    isbn: str = "",
    ndc: str = "",
    source_id: str = "",
    series: str = "",
) -> tuple[str, str, str, str, str, str, str]:
    """The seven index columns for one record."""
    yomi = " ".join(t for t in (index_tokens(title_yomi), index_tokens(creator_yomi)) if t)
    other = " ".join(t for t in (index_tokens(source_id), index_tokens(series)) if t)
    return (
        index_tokens(title),
        index_tokens(creator),
        index_tokens(publisher),
        yomi,
        isbn_tokens(isbn),
        index_tokens(ndc),
        other,
    )


def _values_of(bib: models.Bib) -> tuple:
    return fts_values(
        bib.title, bib.creator, bib.publisher, bib.title_yomi, bib.creator_yomi, bib.isbn, bib.ndc,
        bib.source_id, bib.series,
    )


def index_bib(bib: models.Bib) -> None:
    """(Re-)index one record after it was written."""
    if not models.is_sqlite():
        return
    row = models.db.execute_sql("SELECT fts_key FROM bib WHERE id = ?", (bib.id,)).fetchone()
    if row and row[0] is not None:
        models.db.execute_sql("DELETE FROM bib_fts WHERE rowid = ?", (row[0],))
    key = fts_key(bib.id, bib.year)
    models.db.execute_sql(INSERT, (key, *_values_of(bib)))
    models.db.execute_sql("UPDATE bib SET fts_key = ? WHERE id = ?", (key, bib.id))
    bib.fts_key = key


def index_bibs(bibs: list[models.Bib]) -> None:
    """(Re-)index several records at once (the importer's path)."""
    if not models.is_sqlite() or not bibs:
        return
    ids = [b.id for b in bibs]
    marks = ",".join("?" * len(ids))
    old = [r for r in models.db.execute_sql(f"SELECT fts_key FROM bib WHERE id IN ({marks}) AND fts_key IS NOT NULL", ids)]
    if old:
        models.db.cursor().executemany("DELETE FROM bib_fts WHERE rowid = ?", old)
    rows, keys = [], []
    for bib in bibs:
        bib.fts_key = fts_key(bib.id, bib.year)
        rows.append((bib.fts_key, *_values_of(bib)))
        keys.append((bib.fts_key, bib.id))
    rows.sort()  # FTS5 flushes its in-memory segment whenever a rowid goes down
    models.db.cursor().executemany(INSERT, rows)
    models.db.cursor().executemany("UPDATE bib SET fts_key = ? WHERE id = ?", keys)


def unindex_bib(bib_id_: int) -> None:
    """Take a record out of the index (before the record is deleted)."""
    row = models.db.execute_sql("SELECT fts_key FROM bib WHERE id = ?", (bib_id_,)).fetchone()
    if row and row[0] is not None and models.is_sqlite():
        models.db.execute_sql("DELETE FROM bib_fts WHERE rowid = ?", (row[0],))


def rebuild(batch: int = 5000) -> int:
    """Re-index every record (after a change to the folding rules), in bulk: rows stream in
    key order (FTS5 builds fastest with ascending rowids), a batch at a time."""
    if not models.is_sqlite():
        return 0
    n = 0
    cols = "title, creator, publisher, title_yomi, creator_yomi, isbn, ndc, source_id, series"
    key_sql = f"(((9999 - CASE WHEN year > 0 AND year < 10000 THEN year ELSE 0 END) << {ID_BITS}) | id)"
    with models.write_tx():
        models.db.execute_sql("DELETE FROM bib_fts")
        cursor = models.db.execute_sql(f"SELECT {key_sql} AS k, id, {cols} FROM bib ORDER BY k")
        while rows := cursor.fetchmany(batch):
            fts = [(r[0], *fts_values(*(v or "" for v in r[2:]))) for r in rows]
            models.db.cursor().executemany(INSERT, fts)
            models.db.cursor().executemany("UPDATE bib SET fts_key = ? WHERE id = ?", [(r[0], r[1]) for r in rows])
            n += len(rows)
        models.db.execute_sql("INSERT INTO bib_fts (bib_fts) VALUES ('optimize')")
    return n

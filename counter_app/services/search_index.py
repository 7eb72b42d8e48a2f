"""Keeping the search index (SQLite FTS5 table ``bib_fts``) in step with ``bib``.

Called inside the transaction that writes the record, so the index never disagrees with it.
"""

from __future__ import annotations

import models
from policies.text import index_tokens


def _other(bib: models.Bib) -> str:
    parts = [bib.title_yomi, bib.creator_yomi, bib.isbn, bib.ndc, bib.source_id, bib.series]
    return " ".join(index_tokens(p) for p in parts if p)


def index_bib(bib: models.Bib) -> None:
    if not models.is_sqlite():
        return
    models.db.execute_sql("DELETE FROM bib_fts WHERE rowid = ?", (bib.id,))
    models.db.execute_sql(
        "INSERT INTO bib_fts (rowid, title, creator, publisher, other) VALUES (?, ?, ?, ?, ?)",
        (bib.id, index_tokens(bib.title), index_tokens(bib.creator), index_tokens(bib.publisher), _other(bib)),
    )


def rebuild() -> int:
    """Re-index every record (after a change to the folding rules)."""
    n = 0
    with models.write_tx():
        models.db.execute_sql("DELETE FROM bib_fts")
        for bib in models.Bib.select().iterator():
            index_bib(bib)
            n += 1
    return n

"""Text folding for search: the same function prepares what is indexed and what is asked.

Folds: NFKC (full/half width), case, katakana → hiragana, separators such as ・ and spaces
inside a title. Japanese runs become overlapping character bigrams plus the run's last
character, so that one- and two-character words (漱石, 日本) are found; Latin and digit runs
stay words and are matched by prefix.
"""

from __future__ import annotations

import re
import unicodedata

import jaconv

# Characters that separate words or decorate titles; folded to a space.
_PUNCT = re.compile(r"[\s\u3000・･、。，,．.:：;；!！?？「」『』【】〔〕［］\[\]（）()〈〉《》\"'“”‘’/／\\~〜～=＝+＋*＊&＆#＃@＠|｜<>＜＞…‥^_]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\u3005\u3006\u30fc\U00020000-\U0003134f]")


def fold(text: str | None) -> str:
    """NFKC, lower case, katakana as hiragana, punctuation as single spaces."""
    s = unicodedata.normalize("NFKC", text or "").lower()
    s = jaconv.kata2hira(s)
    s = _PUNCT.sub(" ", s)
    return s.strip()


def title_key(title: str | None) -> str:
    """A title folded for exact-match ranking: folded, with every space removed."""
    return fold(title).replace(" ", "")


def _runs(folded: str) -> list[tuple[bool, str]]:
    """Split folded text into (is_japanese, run) pieces; spaces end a Latin run only."""
    runs: list[tuple[bool, str]] = []
    cur, cur_cjk = "", False
    for ch in folded:
        if ch == " ":
            if cur and not cur_cjk:
                runs.append((False, cur))
                cur = ""
            continue  # spaces inside a Japanese title do not break its run
        is_cjk = bool(_CJK.match(ch))
        if cur and is_cjk != cur_cjk:
            runs.append((cur_cjk, cur))
            cur = ""
        cur_cjk = is_cjk
        cur += ch
    if cur:
        runs.append((cur_cjk, cur))
    return runs


def _bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]


def index_tokens(text: str | None) -> str:
    """Space-separated tokens for the FTS index."""
    out: list[str] = []
    for cjk, run in _runs(fold(text)):
        out.extend(_bigrams(run) if cjk else [run])
    return " ".join(out)


def query_terms(query: str | None) -> list[str]:
    """Each query word as an FTS5 expression (quoted; ANDed by the caller)."""
    terms: list[str] = []
    for word in fold(query).split(" "):
        if not word:
            continue
        for cjk, run in _runs(word):
            if cjk:
                if len(run) == 1:
                    terms.append(f'"{run}"*')
                else:
                    grams = [run[i : i + 2] for i in range(len(run) - 1)]
                    terms.append('"' + " ".join(grams) + '"')
            else:
                run = run.replace('"', "")
                if run:
                    terms.append(f'"{run}"*')
    return terms

"""Text folding for search: the same function prepares what is indexed and what is asked.

Folds, each one tested on its own (tests/test_search_text.py):

* NFKC: full-width Latin and digits, half-width katakana, compatibility characters;
* case: Latin lower case;
* old and variant kanji (旧字体・異体字) to the common form: 國→国, 髙→高, 﨑→崎, 邊/邉→辺, 鷗→鴎.
  The tables come from two maintained packages, merged: ``joyokanji`` (old forms of the Jōyō
  kanji plus variants such as 髙, 﨑, 𠮷) and ``kyujipy`` (kyūjitai → shinjitai, including
  Jinmeiyō kanji such as 鷗, 凜, 禱). What neither has is in :data:`EXTRA_VARIANTS`;
* katakana → hiragana;
* small kana → full-size (キャノン = キヤノン, ッ = ツ): readings are often catalogued with
  full-size kana, and titles vary;
* a katakana word's final long-vowel mark (コンピューター = コンピュータ, JIS Z 8301 style);
  a long-vowel mark inside a word (ラーメン) is kept, dropping it is not safe;
* separators such as ・, punctuation, brackets and spaces: one space. When indexing, a space
  between two Japanese characters does not split the run (「日本 の 歴史」 = 「日本の歴史」);
  in a query, spaces separate words that are ANDed.

Japanese runs become overlapping character bigrams plus the run's last character, so every
character starts a token and one- and two-character words (漱石, 日本, 日) are found; Latin and
digit runs stay words and are matched by prefix.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Characters that separate words or decorate titles; folded to a space.
_PUNCT = re.compile(
    r"[\s\u3000・･、。，,．.:：;；!！?？「」『』【】〔〕［］\[\]（）()〈〉《》\"'“”‘’/／\\~〜～=＝+＋*＊&＆#＃@＠|｜<>＜＞…‥^_{}「」]+"
)
_CJK_CLASS = "\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\u3005\u3006\u30fc\U00020000-\U0003134f"
_CJK = re.compile(f"[{_CJK_CLASS}]")
_RUN = re.compile(f"[{_CJK_CLASS}]+|[^\\s{_CJK_CLASS}]+")
_INNER_SPACE = re.compile(f"(?<=[{_CJK_CLASS}]) +(?=[{_CJK_CLASS}])")
# A katakana word's final ー (after NFKC, before the kana fold).
_FINAL_LONG_VOWEL = re.compile(r"(?<=[\u30a1-\u30fa])\u30fc+(?![\u30a1-\u30fa\u30fc])")

# Variants the two packages do not carry (checked against ja-itaiji's families).
EXTRA_VARIANTS = {
    "邉": "辺",  # 渡邉 = 渡辺 (邊 is in the packages, 邉 is not)
    "嵜": "崎",  # 山嵜 = 山崎
    "𡈽": "土",  # 吉𡈽 (tsuchi-yoshi) = 吉土
}

_SMALL_KANA = "ぁあぃいぅうぇえぉおっつゃやゅゆょよゎわゕかゖけゐいゑえ"


@lru_cache(maxsize=1)
def variant_table() -> dict[str, str]:
    """Old/variant kanji → common form, merged from joyokanji and kyujipy (built once)."""
    import joyokanji

    table: dict[str, str] = {}
    try:
        from kyujipy.basic_converter import BasicConverter

        for old, new in BasicConverter().kyujitai_to_shinjitai_database.items():
            if len(old) == 1 and len(new) == 1:
                table[old] = new
    except Exception:  # pragma: no cover - kyujipy missing: joyokanji alone still folds most
        pass
    table.update(joyokanji._load_map())  # noqa: SLF001 - the package's own table, read once
    table.update(joyokanji._load_variants_map())  # noqa: SLF001
    table.update(EXTRA_VARIANTS)
    # NFKC first, then the table: keys that NFKC already changes never reach it.
    out: dict[str, str] = {}
    for old, new in table.items():
        if old == new or unicodedata.normalize("NFKC", old) != old:
            continue
        for _ in range(3):  # follow chains such as A→B→C
            if table.get(new, new) == new:
                break
            new = table[new]
        out[old] = new
    return out


@lru_cache(maxsize=1)
def _translate() -> dict[int, str]:
    """One str.translate table: variants, katakana → hiragana, small kana → full size."""
    t: dict[int, str] = {ord(k): v for k, v in variant_table().items()}
    for cp in range(0x30A1, 0x30F7):  # ァ..ヶ → ぁ..ゖ
        t[cp] = chr(cp - 0x60)
    for small, big in zip(_SMALL_KANA[::2], _SMALL_KANA[1::2]):
        t[ord(small)] = big
        t[ord(small) + 0x60] = big  # the katakana form too
    return t


def fold_variants(text: str) -> str:
    """Old/variant kanji only (國→国)."""
    return "".join(variant_table().get(ch, ch) for ch in text)


def fold(text: str | None) -> str:
    """NFKC, lower case, variant kanji, kana folds, punctuation as single spaces."""
    s = unicodedata.normalize("NFKC", text or "").lower()
    if "ー" in s:
        s = _FINAL_LONG_VOWEL.sub("", s)
    s = s.translate(_translate())
    if "につぽん" in s:  # 日本 is read both ニッポン and ニホン: one reading finds both
        s = s.replace("につぽん", "にほん")
    return _PUNCT.sub(" ", s).strip()


def title_key(title: str | None) -> str:
    """A title folded for exact-match ranking: folded, with every space removed."""
    return fold(title).replace(" ", "")


def runs(folded: str) -> list[tuple[bool, str]]:
    """Split folded text into (is_japanese, run) pieces; a space between two Japanese
    characters does not split a run."""
    if " " in folded:
        folded = _INNER_SPACE.sub("", folded)
    return [(bool(_CJK.match(r)), r) for r in _RUN.findall(folded)]


def _bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]


def index_tokens(text: str | None) -> str:
    """Space-separated tokens for the FTS index."""
    out: list[str] = []
    folded = fold(text)
    if " " in folded:
        folded = _INNER_SPACE.sub("", folded)
    for r in _RUN.findall(folded):
        if _CJK.match(r):
            out.extend(_bigrams(r))
        else:
            out.append(r)
    return " ".join(out)


def word_terms(word: str) -> list[str]:
    """One folded query word as FTS5 phrases (each quoted; ANDed by the caller)."""
    terms: list[str] = []
    for cjk, run in runs(word):
        if cjk:
            if len(run) == 1:
                terms.append(f'"{run}"*')
            else:
                terms.append('"' + " ".join(run[i : i + 2] for i in range(len(run) - 1)) + '"')
        else:
            run = run.replace('"', "")
            if run:
                terms.append(f'"{run}"*')
    return terms


def query_terms(query: str | None) -> list[str]:
    """Each query word as an FTS5 expression (quoted; ANDed by the caller)."""
    terms: list[str] = []
    for word in fold(query).split(" "):
        if word:
            terms.extend(word_terms(word))
    return terms

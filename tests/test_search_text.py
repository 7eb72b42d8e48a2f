"""Normalisation for search: each fold on its own, and the tokens the index gets."""

from __future__ import annotations

import pytest

from policies.text import fold, index_tokens, query_terms, title_key, variant_table


def test_nfkc_full_width_latin_and_digits():
    assert fold("ＡＢＣ１２３") == "abc123"


def test_nfkc_half_width_katakana():
    assert fold("ｶﾀｶﾅ") == fold("カタカナ")


def test_latin_case():
    assert fold("Tokyo MUSEUM") == "tokyo museum"


def test_katakana_folds_to_hiragana():
    assert fold("ネコ") == "ねこ" == fold("ねこ")


@pytest.mark.parametrize(
    "old, new",
    [("國", "国"), ("髙", "高"), ("﨑", "崎"), ("邊", "辺"), ("邉", "辺"), ("鷗", "鴎"), ("澤", "沢"), ("學", "学")],
)
def test_old_and_variant_kanji_fold_to_the_common_form(old, new):
    assert fold(old) == new
    assert variant_table()[old] == new


def test_variant_fold_leaves_unrelated_kanji_alone():
    # ja-itaiji's families would merge 学 with 教 and 元 with 円: the tables used must not.
    assert fold("教") == "教" and fold("元") == "元" and fold("途") == "途"


def test_small_kana_fold_to_full_size():
    assert fold("キャノン") == fold("キヤノン")
    assert fold("がっこう") == fold("がつこう")


def test_final_long_vowel_of_a_katakana_word():
    assert fold("コンピューター") == fold("コンピュータ")
    assert fold("プリンター・ガイド") == fold("プリンタ・ガイド")


def test_long_vowel_inside_a_word_is_kept():
    assert fold("ラーメン") != fold("ラメン")


def test_punctuation_and_nakaguro_become_spaces():
    assert fold("日本・歴史「入門」") == "日本 歴史 入門"


def test_spaces_inside_a_japanese_title_do_not_split_it():
    assert index_tokens("日本 の 歴史") == index_tokens("日本の歴史")
    assert title_key("日本 の 歴史") == title_key("日本の歴史")


def test_bigrams_let_every_character_start_a_token():
    tokens = index_tokens("夏目漱石").split()
    assert tokens == ["夏目", "目漱", "漱石", "石"]
    assert {t[0] for t in tokens} == set("夏目漱石")


def test_latin_words_stay_words_and_match_by_prefix():
    assert index_tokens("The Tale of Genji") == "the tale of genji"
    assert query_terms("Gen") == ['"gen"*']


def test_query_words_are_separate_terms():
    assert query_terms("日本 歴史") == ['"日本"', '"歴史"']
    assert query_terms("日") == ['"日"*']
    assert query_terms("日本語") == ['"日本 本語"']

"""Card numbers and text folding: the pure rules every channel shares."""

import pytest

from policies.cards import normalize_card
from policies.text import fold, index_tokens, query_terms, title_key


@pytest.mark.parametrize(
    "raw, card",
    [
        ("1234567", "1234567"),
        ("１２３４５６７", "1234567"),  # full-width digits from an IME
        (" 123-4567 ", "1234567"),  # hyphen and spaces from a keyboard
        ("123　4567", "1234567"),  # ideographic space
        ("１２３ー４５６７", "1234567"),  # long-vowel mark typed for a hyphen
    ],
)
def test_card_numbers_are_folded(raw, card):
    assert normalize_card(raw).card == card


@pytest.mark.parametrize(
    "raw, reason",
    [("", "empty-card"), ("   ", "empty-card"), ("123456", "invalid-card"), ("12345678", "invalid-card"),
     ("12a4567", "invalid-card"), ("一二三四五六七", "invalid-card"), ("١٢٣٤٥٦٧", "invalid-card")],
)
def test_bad_card_numbers_are_refused_with_a_reason(raw, reason):
    check = normalize_card(raw)
    assert check.card is None and check.reason == reason
    assert "7桁" in check.message or "入力" in check.message


def test_fold_width_case_and_kana():
    assert fold("ＡＢＣ abc") == "abc abc"
    assert fold("ココロ") == fold("こころ")
    assert fold("ｺｺﾛ") == "こころ"  # half-width katakana


def test_fold_treats_title_punctuation_as_space():
    assert fold("舞姫・うたかたの記") == "舞姫 うたかたの記"
    assert title_key("舞姫・うたかたの記") == title_key("舞姫 うたかたの記") == "舞姫うたかたの記"


def test_japanese_is_indexed_as_bigrams_with_the_last_character():
    assert index_tokens("漱石") == "漱石 石"
    assert index_tokens("Norwegian Wood") == "norwegian wood"


def test_query_terms_one_two_and_more_characters():
    assert query_terms("猫") == ['"猫"*']
    assert query_terms("漱石") == ['"漱石"']
    assert query_terms("こころ") == ['"ここ ころ"']
    assert query_terms("wood") == ['"wood"*']

"""Catalogue search as staff and patrons meet it: what is found, in which order, with what."""

from __future__ import annotations

import json

import pytest

import models
from counter_app import cli
from counter_app.services import InvalidInput, catalog, search, search_index, setup
from tests.conftest import REAL_CATALOG
from tests.helpers_search import brute_ids, brute_text, find_real_catalog, import_rows


def titles(result) -> list[str]:
    return [h.title for h in result.hits]


# --- the real 10,000 records: recall against a brute-force scan ---------------------------

RECALL_QUERIES = [
    "日", "本", "猫", "海", "日本", "漱石", "歴史", "東京", "日本語", "大震災", "図書館", "社会保障",
    "コンピュータ", "ネットワーク", "でざいん", "japan", "history", "日本 歴史", "教育 研究 報告",
    "東京 地図", "國學院", "なつめそうせき", "にほんし", "第25回", "2012",
]


@pytest.fixture(scope="module")
def real_db(tmp_path_factory):
    path = find_real_catalog(REAL_CATALOG)
    if path is None:
        pytest.skip("../shared/data/nacsis-cat-10000.tsv is not here")
    url = f"sqlite:///{tmp_path_factory.mktemp('real') / 'real.db'}"
    setup.init_database(url)
    report = catalog.import_catalog(path, "nacsis-tsv")
    assert report.records_added > 9900
    rows = models.db.execute_sql(
        "SELECT id, title, creator, publisher, title_yomi, creator_yomi, isbn, ndc, source_id, series FROM bib"
    ).fetchall()
    records = [(r[0], brute_text([v or "" for v in r[1:]])) for r in rows]
    models.close_database()
    return url, records


@pytest.fixture
def real(real_db):
    url, records = real_db
    models.open_database(url)
    yield records
    models.close_database()


@pytest.mark.parametrize("query", RECALL_QUERIES)
def test_every_brute_force_hit_is_found_in_the_real_catalogue(real, query):
    expected = brute_ids(real, query)
    got = search.match_ids(query)
    assert expected - got == set()
    assert search.search(query).total == len(got)


def test_the_recall_queries_are_not_empty(real):
    empty = [q for q in RECALL_QUERIES if not brute_ids(real, q)]
    assert len(empty) <= 2, empty  # the list must test something


def test_generated_readings_are_marked_and_searchable(real):
    gen = models.Bib.select().where(models.Bib.yomi_generated == True).count()  # noqa: E712
    assert gen == models.Bib.select().count()  # NACSIS records come without readings
    bib = models.Bib.get(models.Bib.title == "太閤記")
    assert bib.title_yomi == "タイコウキ"
    assert "太閤記" in titles(search.search("たいこうき"))
    assert "太閤記" in titles(search.search("yomi:タイコウキ"))


def test_first_page_of_a_common_character_is_full_and_counted(real):
    result = search.search("日", limit=50)
    assert result.total > 500
    assert len(result.hits) == 50
    assert all("日" in h.title + h.creator + h.publisher for h in result.hits)


# --- one and two characters -------------------------------------------------------------


def test_one_and_two_character_words(db, tmp_path):
    import_rows(tmp_path, [
        {"title": "吾輩は猫である", "creator": "夏目漱石"},
        {"title": "日本", "year": "2001"},
        {"title": "海"},
        {"title": "猫町"},
        {"title": "Sea stories"},
    ])
    assert sorted(titles(search.search("猫"))) == ["吾輩は猫である", "猫町"]
    assert titles(search.search("海")) == ["海"]  # a title of one character
    assert titles(search.search("漱石")) == ["吾輩は猫である"]  # two characters, in the creator
    assert titles(search.search("日本")) == ["日本"]
    assert titles(search.search("本")) == ["日本"]  # the last character of a run
    assert titles(search.search("ある")) == ["吾輩は猫である"]
    assert search.search("猫で").total == 1 and search.search("猫町で").total == 0


# --- variants, readings, ISBN --------------------------------------------------------------


@pytest.mark.parametrize(
    "stored, asked",
    [("國語學概論", "国語学"), ("国語学概論", "國語學"), ("髙橋家の歴史", "高橋"), ("山﨑文書", "山崎"),
     ("渡邉日記", "渡辺"), ("渡邊日記", "渡邉"), ("森鷗外全集", "鴎外")],
)
def test_old_and_variant_kanji_find_each_other(db, tmp_path, stored, asked):
    import_rows(tmp_path, [{"title": stored}, {"title": "無関係な本"}])
    assert titles(search.search(asked)) == [stored]


def test_kana_reading_finds_the_record(db, tmp_path):
    import_rows(tmp_path, [
        {"title": "吾輩は猫である", "title_yomi": "ワガハイ ワ ネコ デ アル", "creator": "夏目漱石",
         "creator_yomi": "ナツメ ソウセキ"},
        {"title": "草枕", "creator": "夏目漱石"},  # no reading: generated at import
    ])
    assert titles(search.search("わがはい")) == ["吾輩は猫である"]
    assert titles(search.search("ワガハイ")) == ["吾輩は猫である"]
    assert titles(search.search("くさまくら")) == ["草枕"]
    assert titles(search.search("yomi:なつめ")) and len(search.search("yomi:なつめ").hits) == 2
    given = models.Bib.get(models.Bib.title == "吾輩は猫である")
    made = models.Bib.get(models.Bib.title == "草枕")
    assert not given.yomi_generated  # catalogued readings are kept as they are
    assert given.title_yomi == "ワガハイ ワ ネコ デ アル"
    assert made.yomi_generated and made.title_yomi == "クサマクラ"


def test_reimport_with_generated_readings_changes_nothing(db, tmp_path):
    import_rows(tmp_path, [{"title": "草枕", "creator": "夏目漱石"}])
    again = import_rows(tmp_path, [{"title": "草枕", "creator": "夏目漱石"}])
    assert again.records_unchanged == 1 and again.records_updated == 0


@pytest.mark.parametrize(
    "asked", ["9784101010137", "978-4-10-101013-7", "4101010137", "4-10-101013-7",
              "isbn:978-4-10-101013-7", "ISBN:4101010137", "ｉｓｂｎ：９７８４１０１０１０１３７",
              "ISBN 978-4-10-101013-7"],
)
def test_isbn_10_and_13_with_or_without_hyphens(sample, asked):
    result = search.search(asked)
    assert titles(result) == ["こころ"], asked


def test_isbn_prefix_and_bad_isbn(sample):
    assert "こころ" in titles(search.search("isbn:97841010"))
    with pytest.raises(InvalidInput) as exc:
        search.search("isbn:abc")
    assert exc.value.reason == "invalid-isbn"


# --- fields ------------------------------------------------------------------------------


def test_field_search(db, tmp_path):
    import_rows(tmp_path, [
        {"title": "漱石の思い出", "creator": "夏目鏡子", "publisher": "文藝春秋", "ndc": "910.268", "year": "1994"},
        {"title": "こころ", "creator": "夏目漱石", "publisher": "岩波書店", "ndc": "913.6", "year": "1989"},
        {"title": "岩波書店の百年", "creator": "岩波書店編", "publisher": "岩波書店", "ndc": "023.1"},
    ])
    assert titles(search.search("title:漱石")) == ["漱石の思い出"]
    assert titles(search.search("creator:漱石")) == ["こころ"]
    assert titles(search.search("著者：漱石")) == ["こころ"]
    assert sorted(titles(search.search("漱石"))) == ["こころ", "漱石の思い出"]
    assert titles(search.search("title:岩波")) == ["岩波書店の百年"]
    assert sorted(titles(search.search("publisher:岩波"))) == ["こころ", "岩波書店の百年"]
    assert titles(search.search("ndc:913")) == ["こころ"]
    assert titles(search.search("", fields={"creator": "夏目", "publisher": "文藝"})) == ["漱石の思い出"]
    assert titles(search.search("title: こころ")) == ["こころ"]  # a space after the colon
    with pytest.raises(InvalidInput) as exc:
        search.search("", fields={"colour": "red"})
    assert exc.value.reason == "unknown-field"


# --- ranking and paging ---------------------------------------------------------------------


def test_ranking_exact_then_prefix_then_contains_then_other_fields(db, tmp_path):
    import_rows(tmp_path, [
        {"title": "新しい日本史", "year": "2020"},
        {"title": "歴史の本", "creator": "日本史研究会", "year": "2023"},
        {"title": "日本史概説", "year": "2000"},
        {"title": "日本史", "year": "1990"},
        {"title": "日本史入門", "year": "2005"},
        {"title": "古代の日本史", "year": "1970"},
        {"title": "日本 史料集", "year": "2024"},  # contains 日本 and 史 but not 日本史... as a title
        {"title": "日本史辞典"},  # no year: last among the prefix group
    ])
    got = titles(search.search("日本史"))
    assert got == ["日本史", "日本 史料集", "日本史入門", "日本史概説", "日本史辞典", "新しい日本史", "古代の日本史", "歴史の本"]


def test_paging_continues_the_order_and_counts_every_hit(db, tmp_path):
    rows = [{"title": f"図書館の本 {n}", "year": str(1900 + n)} for n in range(1, 121)]
    rows += [{"title": f"本の図書館 {n}", "year": str(1900 + n)} for n in range(1, 31)]
    import_rows(tmp_path, rows)
    all_titles = []
    for offset in range(0, 200, 40):
        page = search.search("図書館", limit=40, offset=offset)
        assert page.total == 150
        all_titles += titles(page)
    assert len(all_titles) == 150 == len(set(all_titles))
    assert all_titles[:120] == [f"図書館の本 {n}" for n in range(120, 0, -1)]  # prefix, newest first
    assert all_titles[120:] == [f"本の図書館 {n}" for n in range(30, 0, -1)]
    assert search.search("図書館", limit=40, offset=500).hits == []


def test_results_show_availability_per_service_point_and_waiting_holds(sample):
    hit = search.search("こころ").hits[0]
    assert hit.availability() == {"KIT": (1, 1), "YAM": (1, 1), "OTA": (1, 1)}
    assert hit.holds_waiting == 0


def test_nonsense_and_empty_queries(sample):
    assert search.search("").total == 0
    assert search.search("・・・「」").total == 0
    assert search.search('"AND OR NOT*"').total == 0  # no FTS syntax leaks through
    assert search.search("zzqxv").hits == []
    with pytest.raises(InvalidInput) as exc:
        search.search("あ" * 300)
    assert exc.value.reason == "query-too-long"


# --- the index ----------------------------------------------------------------------------


def test_changing_a_records_year_moves_its_index_row(db, tmp_path):
    import_rows(tmp_path, [{"title": "年の変わる本", "year": "1999"}])
    import_rows(tmp_path, [{"title": "年の変わる本", "year": "2011"}], name="again.csv")
    bib = models.Bib.get()
    assert bib.fts_key == search_index.fts_key(bib.id, 2011)
    assert models.db.execute_sql("SELECT count(*) FROM bib_fts").fetchone()[0] == 1
    assert search.search("変わる").hits[0].year == 2011


def test_old_schema_is_upgraded_and_reindexed(db_url, tmp_path):
    setup.init_database(db_url)
    import_rows(tmp_path, [{"title": "國語の本"}])
    # Make it look like version 1: the first index layout, no fts_key column.
    models.db.execute_sql("DROP TABLE bib_fts")
    models.db.execute_sql(
        "CREATE VIRTUAL TABLE bib_fts USING fts5(title, creator, publisher, other, tokenize = 'unicode61 remove_diacritics 0')"
    )
    models.db.execute_sql("ALTER TABLE bib DROP COLUMN fts_key")
    models.Setting.update(value="1").where(models.Setting.key == "schema_version").execute()
    models.close_database()
    info = setup.init_database(db_url)
    assert (info["schema_before"], info["schema"]) == (1, models.SCHEMA_VERSION)
    assert titles(search.search("国語")) == ["國語の本"]


def test_cli_search_json_contract(sample, db_url, capsys):
    models.close_database()
    assert cli.main(["search", "こころ", "--json", "--db", db_url]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"total", "results"}
    first = out["results"][0]
    assert {"id", "source_id", "title", "creator", "publisher", "year", "material_type", "items"} <= set(first)
    assert set(first["items"][0]) == {"barcode", "branch", "status"}


def test_cli_bad_isbn_is_a_refusal_with_a_reason(sample, db_url, capsys):
    models.close_database()
    assert cli.main(["search", "isbn:abc", "--json", "--db", db_url]) == 3
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False and out["reasons"] == ["invalid-isbn"]


MANY_NIHONSHI = [
    {"title": "新しい日本史", "year": "2020"},
    {"title": "歴史の本", "creator": "日本史研究会", "year": "2023"},
    {"title": "日本史概説", "year": "2000"},
    {"title": "日本史", "year": "1990"},
    {"title": "日本史入門", "year": "2005"},
    {"title": "古代の日本史", "year": "1970"},
    {"title": "日本史辞典"},
]


@pytest.mark.parametrize("prefix_candidates", [None, 2], ids=["title-start-by-lookup", "title-start-from-index"])
def test_many_hits_rank_exact_then_title_start_then_newest(db, tmp_path, monkeypatch, prefix_candidates):
    """The path used when a word matches very many records; with few prefix candidates allowed
    the title-start group comes from the index instead of the title_key range."""
    monkeypatch.setattr(search, "SMALL", 5)
    if prefix_candidates is not None:
        monkeypatch.setattr(search, "PREFIX_CANDIDATES", prefix_candidates)
    import_rows(tmp_path, MANY_NIHONSHI)
    result = search.search("日本史")
    assert result.total == 7
    assert titles(result) == ["日本史", "日本史入門", "日本史概説", "日本史辞典", "歴史の本", "新しい日本史", "古代の日本史"]
    for size in (1, 2, 3, 4):
        pages = [titles(search.search("日本史", limit=size, offset=o)) for o in range(0, 8, size)]
        assert sum(pages, []) == titles(result), size


def test_bench_smoke(tmp_path):
    """The benchmark script runs end to end on a small database (not a timing test)."""
    import importlib.util
    import io
    from contextlib import redirect_stdout
    from pathlib import Path

    if find_real_catalog(REAL_CATALOG) is None:
        pytest.skip("../shared/data/nacsis-cat-10000.tsv is not here")
    spec = importlib.util.spec_from_file_location("search_bench", Path(__file__).parent.parent / "bench" / "search_bench.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = io.StringIO()
    with redirect_stdout(out):
        assert bench.main(["--records", "2000", "--json", "--cache", str(tmp_path)]) == 0
    models.close_database()
    line = json.loads(out.getvalue().strip().splitlines()[-1])
    assert list(line) == ["records", "p50_ms", "p95_ms", "brute_p50_ms", "speedup", "recall", "build_s", "db_mb", "rss_mb"]
    assert line["records"] == 2000 and line["recall"] == 1.0


def test_kana_variations_find_each_other(db, tmp_path):
    import_rows(tmp_path, [
        {"title": "コンピュータ入門"},
        {"title": "キヤノンカメラの歴史"},
        {"title": "ラーメンの本"},
        {"title": "ﾊﾟｿｺﾝ読本"},
    ])
    assert titles(search.search("コンピューター")) == ["コンピュータ入門"]
    assert titles(search.search("こんぴゅーた")) == ["コンピュータ入門"]
    assert titles(search.search("キャノン")) == ["キヤノンカメラの歴史"]
    assert titles(search.search("パソコン")) == ["ﾊﾟｿｺﾝ読本"]
    assert titles(search.search("ラーメン")) == ["ラーメンの本"]
    assert search.search("ラメン").total == 0  # a long vowel inside a word still counts


def test_a_prefixed_word_keeps_its_field_while_a_field_is_chosen(sample):
    from counter_app.services.search import search as run_search

    plain = run_search("著者:漱石 こころ")
    assert "こころ" in [h.title for h in plain.hits]
    chosen = run_search("", fields={"title": "著者:漱石 こころ"})  # F3 with 書名 chosen
    assert [h.id for h in chosen.hits] == [h.id for h in plain.hits if "こころ" in h.title]


def test_exclusion_is_refused_with_a_reason_not_silently_empty(sample):
    import pytest

    from counter_app.services import InvalidInput
    from counter_app.services.search import search as run_search

    with pytest.raises(InvalidInput) as exc:
        run_search("源氏 -物語")
    assert exc.value.reason == "unsupported-operator"
    run_search("-2001")  # a minus before digits (a number, a year range) is not refused

"""Catalogue import: the real NACSIS-CAT file, the library CSV, broken rows, re-import."""

import csv
import sqlite3

import models
from counter_app.services import catalog, search, stats


def test_real_nacsis_file_imports_every_record(db, real_catalog):
    report = catalog.import_catalog(real_catalog, "nacsis-tsv", branch="KIT", copies=2)
    with real_catalog.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert report.errors == []
    assert report.records_added == len(rows) == 10000
    assert stats.stats()["bibs"] == 10000
    assert stats.stats()["items"] == 20000
    # Spot checks against the file itself.
    genji = next(r for r in rows if r["title"] == "源氏物語の和歌と漢詩文")
    bib = models.Bib.get(models.Bib.source_id == genji["ncid"])
    assert bib.publisher == "風間書房" == genji["publisher"]
    assert bib.year == 2000 and bib.ndc == "913.36" and bib.pub_date == "2000.9"
    assert [i.location.code for i in bib.items] == ["KIT", "KIT"]
    edo = models.Bib.get(models.Bib.pub_date == "寛政2 [1790]")
    assert edo.year == 1790


def test_reimport_changes_nothing(db, real_catalog):
    catalog.import_catalog(real_catalog, "nacsis-tsv", copies=1)
    before = stats.stats()
    barcodes = {i.barcode for i in models.Item.select()}
    again = catalog.import_catalog(real_catalog, "nacsis-tsv", copies=1)
    assert again.records_added == again.records_updated == again.items_added == 0
    assert again.records_unchanged == 10000
    assert stats.stats() == before
    assert {i.barcode for i in models.Item.select()} == barcodes


def test_real_record_is_found_by_title_publisher_and_creator(db, real_catalog):
    catalog.import_catalog(real_catalog, "nacsis-tsv")
    result = search.search("源氏物語の和歌と漢詩文")
    assert result.hits[0].title == "源氏物語の和歌と漢詩文"  # exact title first
    assert result.hits[0].publisher == "風間書房"
    assert any(h.title == "源氏物語の和歌と漢詩文" for h in search.search("源氏 風間書房").hits)
    assert any(h.title == "源氏物語の和歌と漢詩文" for h in search.search("鈴木日出男").hits)


HEADER = ",".join(catalog.LIBRARY_CSV_HEADER)


def _write(tmp_path, lines):
    path = tmp_path / "cat.csv"
    path.write_text(HEADER + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_broken_rows_are_reported_by_line_and_skipped(db, tmp_path):
    path = _write(tmp_path, [
        "A1,こころ,ココロ,夏目漱石,ナツメ ソウセキ,新潮社,2004,9784101010137,913.6,book,9000000001,KIT,yes,913.6/ナ",
        "A1,こころ,ココロ,夏目漱石,ナツメ ソウセキ,新潮社,2004,9784101010137,913.6,book,9000000002,YAM,yes,913.6/ナ",
        "A2,壊れた行,,,,,",  # too few columns
        "A3,別の本,,,,,1999,9784101010138,,book,9000000003,KIT,yes,",  # bad ISBN check digit
        "A4,別の本,,,,,1999,,,レコード,9000000004,KIT,yes,",  # unknown material type
        "A5,別の本,,,,,1999,,,book,9000000005,XYZ,yes,",  # unknown branch
        "A6,別の本,,,,,1999,,,book,9000000001,KIT,yes,",  # barcode already used above
        "A7,,,,,,1999,,,book,9000000007,KIT,yes,",  # no title
        "A8,雑誌,,,,,2026,,,雑誌,9000000008,OTA,no,",  # Japanese type name, borrowed copy
    ])
    report = catalog.import_catalog(path, "library-csv")
    assert [(line, code) for line, code, _ in report.errors] == [
        (4, "bad-columns"), (5, "invalid-isbn"), (6, "invalid-material-type"),
        (7, "unknown-branch"), (8, "duplicate-barcode"), (9, "missing-title"),
    ]
    assert report.records_added == 2 and report.items_added == 3
    mag = models.Bib.get(models.Bib.source_id == "A8")
    assert mag.material_type == "magazine"
    assert models.Item.get(models.Item.barcode == "9000000008").owned is False
    # No record without items was left behind by the skipped rows.
    assert models.Bib.select().where(models.Bib.source_id.in_(["A2", "A3", "A4", "A5", "A6", "A7"])).count() == 0


def test_a_record_that_disagrees_with_itself_is_refused(db, tmp_path):
    path = _write(tmp_path, [
        "B1,坊っちゃん,,夏目漱石,,新潮社,2003,,,book,9100000001,KIT,yes,",
        "B1,坊っちゃん,,夏目漱石,,岩波書店,2003,,,book,9100000002,KIT,yes,",
    ])
    report = catalog.import_catalog(path, "library-csv")
    assert [(ln, code) for ln, code, _ in report.errors] == [(3, "conflicting-record")]
    assert models.Item.select().count() == 1


def test_sample_catalogue_has_what_the_demo_needs(sample):
    types = {b.material_type for b in models.Bib.select()}
    assert types == {"book", "magazine", "dvd", "cd"}
    at = {i.location.code for i in models.Item.select()}
    assert at == {"KIT", "YAM", "OTA"}
    assert models.Item.select().where(models.Item.owned == False).count() >= 1  # noqa: E712
    assert search.search("竜馬がゆく").total >= 3  # volumes of a series


def test_isbn_with_or_without_hyphens_finds_the_same_record(sample):
    bib = models.Bib.select().where(models.Bib.isbn != "").first()
    from stdnum import isbn
    hyphenated = isbn.format(bib.isbn)
    assert search.search(bib.isbn).hits[0].id == bib.id
    assert search.search(hyphenated).hits[0].id == bib.id
    isbn10 = isbn.to_isbn10(bib.isbn)
    if isbn10:
        assert search.search(isbn10).hits[0].id == bib.id


def test_import_keeps_the_search_index_in_step(db, tmp_path):
    path = _write(tmp_path, ["C1,吾輩は猫である,,夏目漱石,,新潮社,2003,,,book,9200000001,KIT,yes,"])
    catalog.import_catalog(path, "library-csv")
    assert search.search("猫").total == 1
    path.write_text(HEADER + "\nC1,吾輩は犬である,,夏目漱石,,新潮社,2003,,,book,9200000001,KIT,yes,\n", encoding="utf-8")
    report = catalog.import_catalog(path, "library-csv")
    assert report.records_updated == 1 and report.items_added == 0
    assert search.search("猫").total == 0 and search.search("犬").total == 1


def test_database_is_in_wal_mode_with_foreign_keys(db, db_url):
    assert models.db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert models.db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    with sqlite3.connect(db_url.removeprefix("sqlite:///")) as raw:
        assert raw.execute("SELECT value FROM setting WHERE key='schema_version'").fetchone()[0] == str(models.SCHEMA_VERSION)


def test_a_row_whose_barcode_belongs_to_another_record_writes_nothing(sample, tmp_path):
    taken = models.Item.select().first()
    path = _write(tmp_path, [
        f"Q3,テスト本3,,,,,2001,,,book,{taken.barcode},KIT,yes,",  # barcode of a sample copy
        "Q4,テスト本4,,,,,2001,,,book,9300000004,KIT,yes,",
    ])
    report = catalog.import_catalog(path, "library-csv")
    assert [(ln, code) for ln, code, _ in report.errors] == [(2, "barcode-in-use")]
    assert report.records_added == 1
    assert models.Bib.get_or_none(models.Bib.source_id == "Q3") is None
    assert [h.title for h in search.search("テスト本").hits] == ["テスト本4"]
    assert models.Item.get(models.Item.barcode == taken.barcode).bib_id == taken.bib_id


def test_nihon_and_nippon_readings_find_each_other(db, tmp_path):
    path = _write(tmp_path, [
        "N1,日本の紙幣,ニッポンノシヘイ,,,,2001,,,book,9400000001,KIT,yes,",
        "N2,日本語の歴史,ニホンゴノレキシ,,,,2002,,,book,9400000002,KIT,yes,",
    ])
    catalog.import_catalog(path, "library-csv")
    assert {h.title for h in search.search("にほん").hits} == {"日本の紙幣", "日本語の歴史"}
    assert {h.title for h in search.search("ニッポン").hits} == {"日本の紙幣", "日本語の歴史"}


def test_an_older_database_is_upgraded_and_reindexed_by_init(db, db_url, tmp_path):
    from counter_app.services import setup

    path = _write(tmp_path, ["N1,日本の紙幣,ニッポンノシヘイ,,,,2001,,,book,9400000001,KIT,yes,"])
    catalog.import_catalog(path, "library-csv")
    models.db.execute_sql("DELETE FROM bib_fts")  # an index made before the new folds
    models.Setting.update(value="2").where(models.Setting.key == "schema_version").execute()
    info = setup.init_database(db_url)
    assert (info["schema_before"], info["schema"]) == (2, models.SCHEMA_VERSION)
    assert [h.title for h in search.search("にほん").hits] == ["日本の紙幣"]

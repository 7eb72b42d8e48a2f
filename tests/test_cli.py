"""The command line as scripts and the checks use it: JSON contracts, exit codes, no tracebacks."""

import io
import json
import subprocess
import sys

import pytest

import models
from counter_app.cli import main
from counter_app.services import staff as staff_service

from .conftest import ROOT


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_init_creates_then_reports_up_to_date(capsys, db_url):
    code, out, _ = run(capsys, "init", "--db", db_url, "--json")
    first = json.loads(out)
    assert code == 0 and first["schema_before"] == 0 and first["service_points"] == 3
    code, out, _ = run(capsys, "--db", db_url, "init")
    assert code == 0 and "最新" in out


def test_stats_and_search_json_contracts(capsys, db_url):
    run(capsys, "init", "--db", db_url)
    code, out, _ = run(capsys, "import-catalog", str(ROOT / "data" / "sample-catalog.csv"),
                       "--format", "library-csv", "--db", db_url, "--json")
    assert code == 0 and json.loads(out)["records_added"] == 151
    code, out, _ = run(capsys, "stats", "--db", db_url, "--json")
    assert set(json.loads(out)) == {"bibs", "items", "patrons", "loans", "holds"}
    code, out, _ = run(capsys, "search", "吾輩は猫である", "--db", db_url, "--json", "--limit", "3")
    data = json.loads(out)
    assert code == 0 and data["total"] >= 1 and len(data["results"]) <= 3
    first = data["results"][0]
    assert set(first) >= {"id", "source_id", "title", "creator", "publisher", "year", "material_type", "items"}
    assert first["title"] == "吾輩は猫である"
    assert {"barcode", "branch", "status"} <= set(first["items"][0])


def test_nacsis_import_with_copies_at_a_branch(capsys, db_url, real_catalog, tmp_path):
    small = tmp_path / "small.tsv"
    lines = real_catalog.read_text(encoding="utf-8").splitlines()[:51]
    small.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run(capsys, "init", "--db", db_url)
    code, out, _ = run(capsys, "import-catalog", str(small), "--format", "nacsis-tsv", "--branch", "YAM",
                       "--copies", "2", "--db", db_url, "--json")
    data = json.loads(out)
    assert code == 0 and data["records_added"] == 50 and data["items_added"] == 100
    assert {i.home.code for i in models.Item.select()} == {"YAM"}


def test_staff_add_reads_the_password_from_stdin_and_keeps_only_a_hash(capsys, monkeypatch, db_url, tmp_path):
    run(capsys, "init", "--db", db_url)
    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret-pass\n"))
    code, out, _ = run(capsys, "staff", "add", "tanaka", "--name", "田中 一郎", "--role", "desk", "--db", db_url, "--json")
    assert code == 0 and json.loads(out)["login"] == "tanaka"
    row = models.Staff.get(models.Staff.login == "tanaka")
    assert row.password_hash.startswith("$argon2id$")
    assert staff_service.sign_in("tanaka", "s3cret-pass").name == "田中 一郎"
    raw = (tmp_path / "library.db").read_bytes() + (tmp_path / "library.db-wal").read_bytes()
    assert b"s3cret-pass" not in raw
    with pytest.raises(staff_service.Refused):
        staff_service.sign_in("tanaka", "wrong")


def test_weak_staff_password_is_refused(capsys, monkeypatch, db_url):
    run(capsys, "init", "--db", db_url)
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    code, out, err = run(capsys, "staff", "add", "sato", "--name", "佐藤", "--db", db_url, "--json")
    assert code == 3 and json.loads(out)["reasons"] == ["weak-password"]
    assert models.Staff.select().count() == 0


def test_unknown_and_malformed_cards(capsys, db_url):
    run(capsys, "init", "--db", db_url)
    code, out, err = run(capsys, "patron", "show", "９９９ ９９９９", "--db", db_url, "--json")
    assert code == 3 and json.loads(out)["reasons"] == ["unknown-card"] and "9999999" in err
    code, out, _ = run(capsys, "patron", "show", "12345678", "--db", db_url, "--json")
    assert code == 3 and json.loads(out)["reasons"] == ["invalid-card"]


def test_missing_database_is_one_clear_line(capsys, tmp_path):
    code, out, err = run(capsys, "stats", "--db", f"sqlite:///{tmp_path / 'nothing.db'}")
    assert code != 0 and "counter-app init" in err and "Traceback" not in err
    assert not (tmp_path / "nothing.db").exists()


def test_bad_import_file_names_the_problem(capsys, db_url, tmp_path):
    run(capsys, "init", "--db", db_url)
    bad = tmp_path / "bad.csv"
    bad.write_bytes("source_id,title\n".encode("utf-8"))
    code, out, err = run(capsys, "import-catalog", str(bad), "--format", "library-csv", "--db", db_url, "--json")
    assert code == 3 and json.loads(out)["reasons"] == ["bad-header"]
    sjis = tmp_path / "sjis.tsv"
    sjis.write_bytes("title\tcreator\n夏目\t漱石\n".encode("shift_jis"))
    code, out, err = run(capsys, "import-catalog", str(sjis), "--format", "nacsis-tsv", "--db", db_url, "--json")
    assert code == 3 and json.loads(out)["reasons"] in (["not-utf8"], ["bad-header"])


def test_bad_today_setting_is_reported_not_raised(capsys, monkeypatch, db_url):
    run(capsys, "init", "--db", db_url)
    from datetime import date

    from counter_app.services import patrons
    patrons.add_patron("杵築 花子", "キツキ ハナコ", date(1985, 6, 12), card="1000001")
    monkeypatch.setenv("LIBRARY_TODAY", "2026-13-45")
    code, out, err = run(capsys, "patron", "show", "1000001", "--db", db_url)
    assert code == 1 and "LIBRARY_TODAY" in err and "Traceback" not in err


def test_cli_process_never_shows_a_traceback(tmp_path):
    """A real process: wrong usage exits 2 with a Japanese line; an unreadable db exits 1."""
    env_cmd = [sys.executable, "-m", "counter_app"]
    p = subprocess.run(env_cmd + ["search"], capture_output=True, text=True, cwd=tmp_path,
                       env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert p.returncode == 2 and "使い方" in p.stderr and "Traceback" not in p.stderr
    not_a_db = tmp_path / "junk.db"
    not_a_db.write_bytes(b"this is not a database" * 100)
    p = subprocess.run(env_cmd + ["stats", "--db", f"sqlite:///{not_a_db}"], capture_output=True, text=True,
                       cwd=tmp_path, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert p.returncode == 1 and "Traceback" not in p.stderr and p.stderr.count("\n") == 1


@pytest.mark.parametrize("make_url, expected", [
    (lambda d: f"sqlite:///{d / 'junk.db'}", "データベースファイルではありません"),
    (lambda d: f"sqlite:///{d}", "開けません"),
    (lambda d: "postgresql://librarian:s3cret@db.example/library", "ドライバ"),
])
def test_unusable_databases_are_named_in_japanese_without_secrets(capsys, tmp_path, make_url, expected):
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 50)
    code, out, err = run(capsys, "stats", "--db", make_url(tmp_path))
    assert code == 1 and expected in err and "s3cret" not in err and "Traceback" not in err


def test_a_bare_path_is_not_created_by_accident(capsys, tmp_path):
    code, _, err = run(capsys, "stats", "--db", "garbage")
    assert code == 3 and "counter-app init" in err
    assert not (tmp_path / "garbage").exists()


def test_usage_errors_are_in_japanese(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["renew", "1000001", "1000000001", "--via", "fax"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "--via に使える値は" in err and "invalid choice" not in err


def test_a_date_far_in_the_future_is_a_setting_error(capsys, monkeypatch, db_url):
    run(capsys, "init", "--db", db_url)
    monkeypatch.setenv("LIBRARY_TODAY", "9999-12-31")
    code, _, err = run(capsys, "stats", "--db", db_url)
    assert code == 1 and "LIBRARY_TODAY" in err


def test_staff_sign_in_rests_after_five_wrong_passwords(desk):
    for _ in range(staff_service.MAX_FAILURES):
        with pytest.raises(staff_service.Refused) as exc:
            staff_service.sign_in("desk1", "not-the-password")
        assert exc.value.reason == "bad-credentials"
    with pytest.raises(staff_service.Refused) as exc:
        staff_service.sign_in("desk1", "desk-pass-1")  # even the right password waits
    assert exc.value.reason == "too-many-attempts" and "15分" in exc.value.message
    other = staff_service.add_staff("desk2", "窓口 二郎", "desk", "desk-pass-2")
    assert staff_service.sign_in("desk2", "desk-pass-2").id == other.id  # only that login rests

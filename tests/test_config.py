"""Settings are checked for sense: a wrong value stops the command with a clear message."""

import pytest

from counter_app.config import ConfigError, settings


@pytest.mark.parametrize("name, value", [
    ("LIBRARY_LOAN_DAYS_BOOK", "-5"), ("LIBRARY_LOAN_DAYS_BOOK", "0"), ("LIBRARY_LOAN_DAYS_DVD", "100000"),
    ("LIBRARY_MAX_LOANS", "-1"), ("LIBRARY_PICKUP_DAYS", "0"), ("LIBRARY_TEMP_PASSWORD_LENGTH", "8"),
    ("LIBRARY_LOAN_DAYS_BOOK", "abc"),
])
def test_out_of_range_settings_are_refused(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as exc:
        settings()
    assert name in str(exc.value)


def test_defaults_and_a_valid_override(monkeypatch):
    assert settings().loan_days == {"book": 14, "magazine": 14, "dvd": 7, "cd": 7}
    monkeypatch.setenv("LIBRARY_LOAN_DAYS_BOOK", "21")
    assert settings().loan_days["book"] == 21


def test_cli_reports_a_bad_setting_in_one_line(monkeypatch, capsys, db):
    from counter_app.cli import main

    monkeypatch.setenv("LIBRARY_LOAN_DAYS_BOOK", "-5")
    code = main(["checkout", "1000001", "1000000001", "--at", "KIT", "--json"])
    err = capsys.readouterr().err
    assert code == 1 and "LIBRARY_LOAN_DAYS_BOOK" in err and "Traceback" not in err
